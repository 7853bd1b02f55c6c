#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod cookies;
mod error;
mod html;
mod http;

pub use error::{IdpSupportError, display_url};
pub use html::{Form, FormInput, HtmlPage, extract_saml_response};
pub use http::{HttpClient, HttpRequest, HttpResponse, MAX_REDIRECTS, Method, RedirectAction};
