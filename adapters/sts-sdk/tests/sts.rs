//! `SdkSts` against the fake: what is sent, how it is signed, and how failures are reported.

use crate::fake::{Fake, Reply, closed_port, error_xml, sts_answer};
use crate::{long_term, settings, temporary};
use aws_runas_domain::ports::sts::{
    AssumeRoleRequest, MfaAnswer, SamlRoleRequest, SessionTokenRequest, Sts, StsError,
    WebIdentityRoleRequest,
};
use aws_runas_domain::{RoleArn, Secret, SessionName, Timestamp};
use aws_runas_sts_sdk::SdkSts;
use std::time::Duration;

fn assume_request(arn: &str) -> AssumeRoleRequest {
    AssumeRoleRequest {
        role_arn: RoleArn::parse(arn).unwrap(),
        session_name: SessionName::sanitize("alice-session").unwrap(),
        duration_secs: 3600,
        external_id: None,
        mfa: None,
    }
}

fn mfa() -> Option<MfaAnswer> {
    Some(MfaAnswer {
        serial: "arn:aws:iam::123456789012:mfa/alice".to_string(),
        code: Secret::new("123456"),
    })
}

fn scope(fake: &Fake) -> (String, String, String) {
    fake.only_request()
        .credential_scope()
        .expect("a SigV4 Authorization header")
}

#[tokio::test]
async fn assume_role_sends_every_parameter_and_signs_with_the_given_credentials() {
    let fake = Fake::start(sts_answer);
    let sts = SdkSts::new(settings(&fake.url));
    let req = AssumeRoleRequest {
        external_id: Some("ext-42".to_string()),
        mfa: mfa(),
        ..assume_request("arn:aws:iam::123456789012:role/path/demo")
    };
    let creds = sts.assume_role(&temporary(), &req).await.unwrap();

    let sent = fake.only_request();
    let form = sent.form();
    assert_eq!(form["Action"], "AssumeRole");
    assert_eq!(form["RoleArn"], "arn:aws:iam::123456789012:role/path/demo");
    assert_eq!(form["RoleSessionName"], "alice-session");
    assert_eq!(form["DurationSeconds"], "3600");
    assert_eq!(form["ExternalId"], "ext-42");
    assert_eq!(form["SerialNumber"], "arn:aws:iam::123456789012:mfa/alice");
    assert_eq!(form["TokenCode"], "123456");
    let (key_id, region, service) = sent.credential_scope().expect("signed");
    assert_eq!(
        (key_id.as_str(), region.as_str(), service.as_str()),
        ("ASIAFAKESESSION", "us-east-1", "sts")
    );
    assert_eq!(
        sent.header("x-amz-security-token"),
        Some("fake-session-token")
    );

    assert_eq!(creds.access_key_id(), "ASIAFAKEANSWER");
    assert_eq!(creds.secret_access_key().expose(), "fake-answer-secret");
    assert_eq!(
        creds.session_token().map(Secret::expose),
        Some("fake-answer-token")
    );
    assert_eq!(
        creds.expiration(),
        Some(Timestamp::parse_rfc3339("2030-01-02T03:04:05Z").unwrap())
    );
}

#[tokio::test]
async fn assume_role_leaves_out_what_is_not_set() {
    let fake = Fake::start(sts_answer);
    let sts = SdkSts::new(settings(&fake.url));
    sts.assume_role(
        &long_term(),
        &assume_request("arn:aws:iam::123456789012:role/demo"),
    )
    .await
    .unwrap();
    let form = fake.only_request().form();
    for absent in ["ExternalId", "SerialNumber", "TokenCode"] {
        assert!(!form.contains_key(absent), "{absent} in {form:?}");
    }
    assert_eq!(fake.only_request().header("x-amz-security-token"), None);
}

#[tokio::test]
async fn get_session_token_sends_duration_and_mfa() {
    let fake = Fake::start(sts_answer);
    let sts = SdkSts::new(settings(&fake.url));
    let req = SessionTokenRequest {
        duration_secs: 43_200,
        mfa: mfa(),
    };
    let creds = sts.get_session_token(&long_term(), &req).await.unwrap();
    let form = fake.only_request().form();
    assert_eq!(form["Action"], "GetSessionToken");
    assert_eq!(form["DurationSeconds"], "43200");
    assert_eq!(form["SerialNumber"], "arn:aws:iam::123456789012:mfa/alice");
    assert_eq!(form["TokenCode"], "123456");
    assert_eq!(
        scope(&fake),
        ("AKIDFAKELONGTERM".into(), "us-east-1".into(), "sts".into())
    );
    assert_eq!(creds.access_key_id(), "ASIAFAKEANSWER");
}

#[tokio::test]
async fn get_caller_identity_reads_the_identity() {
    let fake = Fake::start(sts_answer);
    let sts = SdkSts::new(settings(&fake.url));
    let id = sts.get_caller_identity(&long_term()).await.unwrap();
    assert_eq!(fake.only_request().action(), "GetCallerIdentity");
    assert_eq!(scope(&fake).0, "AKIDFAKELONGTERM");
    assert_eq!(id.account, "123456789012");
    assert_eq!(id.arn, "arn:aws:iam::123456789012:user/alice");
    assert_eq!(id.user_id, "AIDAFAKEUSERID");
    assert_eq!(id.name(), "alice");
}

#[tokio::test]
async fn saml_and_web_identity_calls_are_unsigned() {
    let fake = Fake::start(sts_answer);
    let sts = SdkSts::new(settings(&fake.url));
    let saml = SamlRoleRequest {
        role_arn: RoleArn::parse("arn:aws:iam::123456789012:role/saml").unwrap(),
        principal_arn: "arn:aws:iam::123456789012:saml-provider/idp".to_string(),
        assertion: Secret::new("PHNhbWw+ZmFrZTwvc2FtbD4="),
        duration_secs: 900,
    };
    sts.assume_role_with_saml(&saml).await.unwrap();
    let web = WebIdentityRoleRequest {
        role_arn: RoleArn::parse("arn:aws:iam::123456789012:role/web").unwrap(),
        session_name: SessionName::sanitize("bob").unwrap(),
        token: Secret::new("fake.jwt.token"),
        duration_secs: 1800,
    };
    let creds = sts.assume_role_with_web_identity(&web).await.unwrap();
    assert_eq!(creds.access_key_id(), "ASIAFAKEANSWER");

    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    let form = requests[0].form();
    assert_eq!(form["Action"], "AssumeRoleWithSAML");
    assert_eq!(form["RoleArn"], "arn:aws:iam::123456789012:role/saml");
    assert_eq!(
        form["PrincipalArn"],
        "arn:aws:iam::123456789012:saml-provider/idp"
    );
    assert_eq!(form["SAMLAssertion"], "PHNhbWw+ZmFrZTwvc2FtbD4=");
    assert_eq!(form["DurationSeconds"], "900");
    let form = requests[1].form();
    assert_eq!(form["Action"], "AssumeRoleWithWebIdentity");
    assert_eq!(form["RoleArn"], "arn:aws:iam::123456789012:role/web");
    assert_eq!(form["RoleSessionName"], "bob");
    assert_eq!(form["WebIdentityToken"], "fake.jwt.token");
    assert_eq!(form["DurationSeconds"], "1800");
    for request in &requests {
        assert_eq!(request.header("authorization"), None, "{request:?}");
        assert_eq!(request.header("x-amz-security-token"), None, "{request:?}");
    }
}

#[tokio::test]
async fn the_partition_picks_the_signing_region_when_no_region_is_set() {
    for (arn, expected) in [
        ("arn:aws-cn:iam::123456789012:role/demo", "cn-north-1"),
        (
            "arn:aws-us-gov:iam::123456789012:role/demo",
            "us-gov-west-1",
        ),
        ("arn:aws:iam::123456789012:role/demo", "us-east-1"),
    ] {
        let fake = Fake::start(sts_answer);
        let sts = SdkSts::new(settings(&fake.url));
        sts.assume_role(&temporary(), &assume_request(arn))
            .await
            .unwrap();
        assert_eq!(scope(&fake).1, expected, "{arn}");
    }
}

#[tokio::test]
async fn a_configured_region_wins_over_the_partition() {
    let fake = Fake::start(sts_answer);
    let sts = SdkSts::new(aws_runas_sts_sdk::AwsSettings {
        region: Some("eu-west-2".to_string()),
        ..settings(&fake.url)
    });
    sts.assume_role(
        &temporary(),
        &assume_request("arn:aws-cn:iam::123456789012:role/demo"),
    )
    .await
    .unwrap();
    sts.get_caller_identity(&temporary()).await.unwrap();
    let regions: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| r.credential_scope().unwrap().1)
        .collect();
    assert_eq!(regions, ["eu-west-2", "eu-west-2"]);
}

#[tokio::test]
async fn an_error_answer_becomes_rejected_with_code_and_message() {
    let fake = Fake::start(|_| {
        Reply::Xml(
            403,
            error_xml(
                "AccessDenied",
                "User alice is not authorized to perform: sts:AssumeRole",
            ),
        )
    });
    let sts = SdkSts::new(settings(&fake.url));
    let err = sts
        .assume_role(
            &temporary(),
            &assume_request("arn:aws:iam::123456789012:role/demo"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StsError::Rejected {
            operation: "sts:AssumeRole".to_string(),
            code: "AccessDenied".to_string(),
            message: "User alice is not authorized to perform: sts:AssumeRole".to_string(),
        }
    );
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains("fake-session-secret") && !shown.contains("fake-session-token"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_closed_port_is_a_network_error_naming_the_endpoint() {
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let sts = SdkSts::new(settings(&endpoint));
    let err = sts.get_caller_identity(&long_term()).await.unwrap_err();
    match &err {
        StsError::Network {
            operation,
            endpoint: named,
            message,
        } => {
            assert_eq!(operation, "sts:GetCallerIdentity");
            assert_eq!(named, &endpoint);
            assert!(message.to_lowercase().contains("connect"), "{message}");
        }
        other => panic!("expected a network error, got {other:?}"),
    }
    assert!(!format!("{err:?}").contains("fake-long-term-secret"));
}

#[tokio::test]
async fn a_silent_server_hits_the_operation_timeout() {
    let fake = Fake::start(|_| Reply::Silent);
    let sts = SdkSts::new(aws_runas_sts_sdk::AwsSettings {
        operation_timeout: Duration::from_millis(300),
        ..settings(&fake.url)
    });
    let err = sts
        .get_session_token(
            &long_term(),
            &SessionTokenRequest {
                duration_secs: 900,
                mfa: None,
            },
        )
        .await;
    assert!(
        matches!(&err, Err(StsError::Network { endpoint, .. }) if *endpoint == fake.url),
        "{err:?}"
    );
}

#[tokio::test]
async fn https_requests_go_through_the_proxy() {
    let proxy = Fake::start(sts_answer);
    let sts = SdkSts::new(aws_runas_sts_sdk::AwsSettings {
        https_proxy: Some(proxy.url.clone()),
        ..settings("https://sts.example.invalid")
    });
    let err = sts.get_caller_identity(&long_term()).await.unwrap_err();
    assert!(
        matches!(&err, StsError::Network { endpoint, .. } if endpoint == "https://sts.example.invalid"),
        "{err:?}"
    );
    assert!(
        proxy
            .only_request()
            .line
            .starts_with("CONNECT sts.example.invalid:443 "),
        "{:?}",
        proxy.requests()
    );
}

#[tokio::test]
async fn no_proxy_hosts_bypass_the_proxy() {
    let proxy = Fake::start(sts_answer);
    let endpoint = format!("https://127.0.0.1:{}", closed_port());
    let sts = SdkSts::new(aws_runas_sts_sdk::AwsSettings {
        https_proxy: Some(proxy.url.clone()),
        no_proxy: Some("localhost,127.0.0.1".to_string()),
        ..settings(&endpoint)
    });
    let err = sts.get_caller_identity(&long_term()).await.unwrap_err();
    assert!(matches!(&err, StsError::Network { .. }), "{err:?}");
    assert!(proxy.requests().is_empty(), "{:?}", proxy.requests());
}

#[tokio::test]
async fn a_missing_ca_bundle_is_reported_on_the_first_call_not_at_construction() {
    let fake = Fake::start(sts_answer);
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-bundle.pem");
    let sts = SdkSts::new(aws_runas_sts_sdk::AwsSettings {
        ca_bundle: Some(missing.clone()),
        ..settings(&fake.url)
    });
    let err = sts.get_caller_identity(&long_term()).await.unwrap_err();
    match err {
        StsError::Unexpected { operation, message } => {
            assert_eq!(operation, "sts:GetCallerIdentity");
            assert!(
                message.contains(&missing.display().to_string()),
                "{message}"
            );
        }
        other => panic!("expected a setup error, got {other:?}"),
    }
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn a_ca_bundle_without_certificates_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("not-a-bundle.pem");
    std::fs::write(&bundle, "this is not PEM\n").unwrap();
    let sts = SdkSts::new(aws_runas_sts_sdk::AwsSettings {
        ca_bundle: Some(bundle.clone()),
        ..settings("http://127.0.0.1:1")
    });
    let err = sts.get_caller_identity(&long_term()).await.unwrap_err();
    assert!(
        matches!(&err, StsError::Unexpected { message, .. }
            if message.contains(&bundle.display().to_string()) && message.contains("no certificate")),
        "{err:?}"
    );
}

#[tokio::test]
async fn without_an_endpoint_the_regional_endpoint_of_the_partition_is_used() {
    // The proxy sees which host the request is for, so no request leaves 127.0.0.1.
    let proxy = Fake::start(sts_answer);
    let sts = SdkSts::new(aws_runas_sts_sdk::AwsSettings {
        sts_endpoint: None,
        https_proxy: Some(proxy.url.clone()),
        ..settings("unused")
    });
    let err = sts
        .assume_role(
            &temporary(),
            &assume_request("arn:aws-cn:iam::123456789012:role/demo"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StsError::Network { endpoint, .. } if endpoint == "https://sts.cn-north-1.amazonaws.com.cn"),
        "{err:?}"
    );
    assert!(
        proxy
            .only_request()
            .line
            .starts_with("CONNECT sts.cn-north-1.amazonaws.com.cn:443 "),
        "{:?}",
        proxy.requests()
    );
}

#[tokio::test]
async fn an_unreadable_answer_is_unexpected_and_quotes_nothing_from_it() {
    let fake = Fake::start(|_| {
        Reply::Xml(
            200,
            "<AssumeRoleResponse><AssumeRoleResult><Credentials><SecretAccessKey>leaked&bogus-secret;".to_string(),
        )
    });
    let sts = SdkSts::new(settings(&fake.url));
    let err = sts
        .assume_role(
            &temporary(),
            &assume_request("arn:aws:iam::123456789012:role/demo"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StsError::Unexpected {
            operation: "sts:AssumeRole".to_string(),
            message: "unreadable answer with HTTP status 200".to_string(),
        }
    );
}

#[tokio::test]
async fn an_error_page_without_an_aws_code_gives_its_status() {
    let fake = Fake::start(|_| Reply::Xml(502, "<html>bad gateway</html>".to_string()));
    let sts = SdkSts::new(settings(&fake.url));
    let err = sts.get_caller_identity(&long_term()).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "sts:GetCallerIdentity: unrecognised error answer with HTTP status 502"
    );
}
