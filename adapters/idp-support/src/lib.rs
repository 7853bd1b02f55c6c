#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod cookies;
mod device;
mod error;
pub mod fuzzing;
mod html;
mod http;
mod jwks;
mod login;
mod loopback;
mod oidc;
mod settings;
mod wait;

pub use device::{DeviceSettings, SLOW_DOWN_STEP};
pub use error::{IdpSupportError, display_url};
pub use html::{Form, FormInput, HtmlPage, extract_saml_response};
pub use http::{
    HttpClient, HttpRequest, HttpResponse, MAX_BODY, MAX_REDIRECTS, Method, RedirectAction,
};
pub use login::{LoginAnswers, MAX_QUOTE, MfaChoice, quote};
pub use loopback::{BrowserOpener, BrowserSettings, DEFAULT_BROWSER_TIMEOUT, LoopbackListener};
pub use oidc::{
    AuthorizationCode, AuthorizationSession, AuthorizationStep, MAX_LOGIN_PAGES, OidcClient,
    OidcEndpoints, authorize_headless,
};
pub use settings::{AdapterSettings, LoginSettings, NoOwnSettings, SettingsSpec, read_settings};
pub use wait::{DEFAULT_WAIT_BOUND, Poll, Wait, parse_wait_bound, wait_for};
