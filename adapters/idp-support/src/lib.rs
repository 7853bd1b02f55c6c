#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod cookies;
mod error;
mod html;
mod http;
mod wait;

pub use error::{IdpSupportError, display_url};
pub use html::{Form, FormInput, HtmlPage, extract_saml_response};
pub use http::{HttpClient, HttpRequest, HttpResponse, MAX_REDIRECTS, Method, RedirectAction};
pub use wait::{DEFAULT_WAIT_BOUND, Poll, Wait, parse_wait_bound, wait_for};
