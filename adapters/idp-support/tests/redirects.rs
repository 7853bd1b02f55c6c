//! Redirects: never followed by `send`, followed hop by hop by `send_following`.

use super::client;
use aws_runas_idp_support::{HttpRequest, IdpSupportError, MAX_REDIRECTS, Method, RedirectAction};
use aws_runas_idp_testkit::{MockResponse, MockServer};

fn chain(server: &MockServer) {
    server.route("GET", "/a", |_| MockResponse::redirect("/b?step=2"));
    server.route("GET", "/b", |_| {
        MockResponse::new(303).header("Location", "c")
    });
    server.route("GET", "/c", |_| MockResponse::html("end"));
}

#[tokio::test]
async fn send_never_follows() {
    let server = MockServer::start();
    chain(&server);
    let r = client()
        .send(HttpRequest::get(server.url("/a")))
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert!(r.is_redirect());
    assert_eq!(r.location(), Some(server.url("/b?step=2")));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn follow_walks_the_chain_and_reports_the_last_url() {
    let server = MockServer::start();
    chain(&server);
    let r = client()
        .follow(HttpRequest::get(server.url("/a")))
        .await
        .unwrap();
    assert_eq!(r.body(), "end");
    assert_eq!(r.url(), server.url("/c"));
    let paths: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.path().to_string())
        .collect();
    assert_eq!(paths, vec!["/a", "/b", "/c"]);
}

#[tokio::test]
async fn the_caller_can_stop_at_a_hop() {
    let server = MockServer::start();
    server.route("GET", "/authorize", |_| {
        MockResponse::redirect("http://127.0.0.1:1/callback?code=abc&state=xyz")
    });
    let mut seen = vec![];
    let r = client()
        .send_following(HttpRequest::get(server.url("/authorize")), |hop| {
            seen.push(hop.location().unwrap());
            if hop.location().unwrap().contains("/callback") {
                RedirectAction::Stop
            } else {
                RedirectAction::Follow
            }
        })
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(seen, vec!["http://127.0.0.1:1/callback?code=abc&state=xyz"]);
}

#[tokio::test]
async fn a_redirect_loop_is_cut_off() {
    let server = MockServer::start();
    server.route("GET", "/loop", |_| MockResponse::redirect("/loop"));
    let e = client()
        .follow(HttpRequest::get(server.url("/loop")).step("opening the login page"))
        .await
        .unwrap_err();
    assert!(matches!(e, IdpSupportError::TooManyRedirects { max, .. } if max == MAX_REDIRECTS));
    assert_eq!(server.requests().len(), MAX_REDIRECTS + 1);
    assert_eq!(
        e.to_string(),
        format!(
            "more than 10 redirects starting at {} during opening the login page",
            server.url("/loop")
        )
    );
}

#[tokio::test]
async fn post_becomes_get_on_303_but_307_repeats_the_post() {
    let server = MockServer::start();
    server.route("POST", "/login", |_| {
        MockResponse::new(303).header("Location", "/home")
    });
    server.route("GET", "/home", |_| MockResponse::text("home"));
    server.route("POST", "/moved", |_| {
        MockResponse::new(307).header("Location", "/login2")
    });
    server.route("POST", "/login2", |r| {
        MockResponse::text(r.form_value("u").unwrap_or_default())
    });
    let c = client();
    let r = c
        .follow(HttpRequest::post(server.url("/login")).form([("u", "jane")]))
        .await
        .unwrap();
    assert_eq!(r.body(), "home");
    let r = c
        .follow(HttpRequest::post(server.url("/moved")).form([("u", "jane")]))
        .await
        .unwrap();
    assert_eq!(r.body(), "jane");
    let home = server.requests_to("GET", "/home");
    assert_eq!(home.len(), 1);
    assert_eq!(home[0].body(), "");
    assert_eq!(HttpRequest::get("x").method(), Method::Get);
}

#[tokio::test]
async fn a_redirect_to_another_scheme_is_refused() {
    let server = MockServer::start();
    server.route("GET", "/x", |_| {
        MockResponse::redirect("javascript:alert(1)")
    });
    let e = client()
        .follow(HttpRequest::get(server.url("/x")))
        .await
        .unwrap_err();
    assert!(matches!(e, IdpSupportError::BadRedirect { .. }), "{e:?}");
}
