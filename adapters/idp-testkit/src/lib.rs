#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod browser;
mod conformance;
mod oidc;
mod oidc_conformance;
mod prompter;
mod registration;
mod replay;
mod saml;
mod server;
mod signing;

pub use browser::FakeBrowser;
pub use conformance::{
    ConformanceMock, ConformanceReport, ERROR_STATUS, MFA_CODE, PASSWORD, RELAXED_TIMEOUT,
    Scenario, ScenarioContext, TIMEOUT, UNRECOGNISED_PAGE, USERNAME, WRONG_MFA_CODE,
    WRONG_PASSWORD, conformance, run_scenario,
};
pub use oidc::{
    DEVICE_USER_CODE, DeviceOutcome, LoginPage, LoginPageFn, MockOidc, MockOidcConfig,
    OIDC_CLIENT_ID, OidcRoute, SESSION_COOKIE, default_login_page,
};
pub use oidc_conformance::{
    OIDC_ERROR_STATUS, OIDC_REDIRECT_PATH, OidcConformanceMock, OidcConformanceReport,
    OidcScenario, oidc_conformance, run_oidc_scenario,
};
pub use prompter::{PromptKind, Question, ScriptedPrompter};
pub use registration::{
    ExpectedRegistration, assert_accepted, assert_debug_hides, assert_refused, assert_registration,
    idle_deps, idle_http, probe_with_cookies, probe_with_headers,
};
pub use replay::{Replay, Served};
pub use saml::{
    AWS_SAML_ENDPOINT, ROLE_ATTRIBUTE, ROLE_SESSION_NAME_ATTRIBUTE, SESSION_DURATION_ATTRIBUTE,
    SamlResponseBuilder, SamlRole, auto_post_page, saml_roles,
};
pub use server::{Fault, MockRequest, MockResponse, MockServer};
pub use signing::{MOCK_KEY_ID, TokenSigning, jwks_json, sign_jwt};
