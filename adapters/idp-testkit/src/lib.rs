#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod conformance;
mod prompter;
mod saml;
mod server;

pub use conformance::{
    ConformanceMock, ConformanceReport, ERROR_STATUS, MFA_CODE, PASSWORD, Scenario,
    ScenarioContext, TIMEOUT, UNRECOGNISED_PAGE, USERNAME, WRONG_MFA_CODE, WRONG_PASSWORD,
    conformance, run_scenario,
};
pub use prompter::{PromptKind, Question, ScriptedPrompter};
pub use saml::{
    AWS_SAML_ENDPOINT, ROLE_ATTRIBUTE, ROLE_SESSION_NAME_ATTRIBUTE, SESSION_DURATION_ATTRIBUTE,
    SamlResponseBuilder, SamlRole, auto_post_page, saml_roles,
};
pub use server::{Fault, MockRequest, MockResponse, MockServer};
