//! `SdkIam` against the fake: pagination, the policy walk, URL-decoding and error reporting.

use crate::fake::{Fake, Reply, Request, closed_port, error_xml, iam_answer};
use crate::{long_term, settings, temporary};
use aws_runas_domain::ports::iam::{Iam, IamError, MfaDevice};
use aws_runas_sts_sdk::SdkIam;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const DEPLOY: &str = "arn:aws:iam::123456789012:policy/Deploy";

/// A policy document with one statement id, as IAM would store it.
fn doc(sid: &str) -> String {
    format!(
        "{{\"Version\": \"2012-10-17\", \"Statement\": [{{\"Sid\": \"{sid}\", \"Effect\": \"Allow\"}}]}}"
    )
}

/// The document percent-encoded, as IAM returns it.
fn encoded(sid: &str) -> String {
    utf8_percent_encode(&doc(sid), NON_ALPHANUMERIC).to_string()
}

fn names(names: &[&str], next: Option<&str>) -> String {
    let members: String = names
        .iter()
        .map(|n| format!("<member>{n}</member>"))
        .collect();
    format!("<PolicyNames>{members}</PolicyNames>{}", truncation(next))
}

fn attached(arns: &[&str]) -> String {
    let members: String = arns
        .iter()
        .map(|a| {
            format!(
                "<member><PolicyName>{}</PolicyName><PolicyArn>{a}</PolicyArn></member>",
                a.rsplit('/').next().unwrap()
            )
        })
        .collect();
    format!("<AttachedPolicies>{members}</AttachedPolicies><IsTruncated>false</IsTruncated>")
}

fn truncation(next: Option<&str>) -> String {
    match next {
        Some(marker) => format!("<IsTruncated>true</IsTruncated><Marker>{marker}</Marker>"),
        None => "<IsTruncated>false</IsTruncated>".to_string(),
    }
}

/// A user `alice` with two pages of inline policies, one attached policy, and a group `devs`
/// with an inline policy and two attached policies (one shared with the user).
fn account(req: &Request) -> Reply {
    let form = req.form();
    let param = |name: &str| form.get(name).cloned().unwrap_or_default();
    let action = req.action();
    let result = match (action.as_str(), param("Marker").as_str()) {
        ("ListUserPolicies", "") if param("UserName") == "alice" => names(&["inline-a"], Some("page-2")),
        ("ListUserPolicies", "page-2") => names(&["inline-b"], None),
        ("GetUserPolicy", _) => {
            let policy = param("PolicyName");
            format!(
                "<UserName>alice</UserName><PolicyName>{policy}</PolicyName><PolicyDocument>{}</PolicyDocument>",
                encoded(&policy)
            )
        }
        ("ListAttachedUserPolicies", _) => attached(&[READ_ONLY]),
        ("GetPolicy", _) => {
            let arn = param("PolicyArn");
            let version = if arn == READ_ONLY { "v3" } else { "v1" };
            format!("<Policy><PolicyName>p</PolicyName><Arn>{arn}</Arn><DefaultVersionId>{version}</DefaultVersionId></Policy>")
        }
        ("GetPolicyVersion", _) => {
            let sid = format!("{}-{}", param("PolicyArn").rsplit('/').next().unwrap(), param("VersionId"));
            format!(
                "<PolicyVersion><Document>{}</Document><VersionId>{}</VersionId><IsDefaultVersion>true</IsDefaultVersion></PolicyVersion>",
                encoded(&sid),
                param("VersionId")
            )
        }
        ("ListGroupsForUser", _) => "<Groups><member><Path>/</Path><GroupName>devs</GroupName><GroupId>AGPAFAKE</GroupId>\
             <Arn>arn:aws:iam::123456789012:group/devs</Arn><CreateDate>2020-01-01T00:00:00Z</CreateDate></member></Groups>\
             <IsTruncated>false</IsTruncated>"
            .to_string(),
        ("ListGroupPolicies", _) if param("GroupName") == "devs" => names(&["group-inline"], None),
        ("GetGroupPolicy", _) => format!(
            "<GroupName>devs</GroupName><PolicyName>{0}</PolicyName><PolicyDocument>{1}</PolicyDocument>",
            param("PolicyName"),
            encoded(&param("PolicyName"))
        ),
        ("ListAttachedGroupPolicies", _) => attached(&[READ_ONLY, DEPLOY]),
        ("ListMFADevices", "") => mfa_page(&["arn:aws:iam::123456789012:mfa/alice-phone"], Some("more")),
        ("ListMFADevices", "more") => mfa_page(&["arn:aws:iam::123456789012:mfa/alice-key"], None),
        _ => return Reply::Xml(400, error_xml("InvalidAction", &format!("unexpected {action}"))),
    };
    iam_answer(&action, &result)
}

fn mfa_page(serials: &[&str], next: Option<&str>) -> String {
    let members: String = serials
        .iter()
        .map(|s| format!("<member><UserName>alice</UserName><SerialNumber>{s}</SerialNumber><EnableDate>2020-01-01T00:00:00Z</EnableDate></member>"))
        .collect();
    format!("<MFADevices>{members}</MFADevices>{}", truncation(next))
}

#[tokio::test]
async fn mfa_devices_are_listed_across_pages() {
    let fake = Fake::start(account);
    let iam = SdkIam::new(settings(&fake.url));
    let devices = iam.list_mfa_devices(&long_term(), "alice").await.unwrap();
    assert_eq!(
        devices,
        [
            MfaDevice {
                serial: "arn:aws:iam::123456789012:mfa/alice-phone".to_string()
            },
            MfaDevice {
                serial: "arn:aws:iam::123456789012:mfa/alice-key".to_string()
            },
        ]
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.action(), "ListMFADevices");
        assert_eq!(request.param("UserName").as_deref(), Some("alice"));
        let (key_id, region, service) = request.credential_scope().expect("signed");
        assert_eq!(
            (key_id.as_str(), region.as_str(), service.as_str()),
            ("AKIDFAKELONGTERM", "us-east-1", "iam")
        );
    }
    assert_eq!(requests[0].param("Marker"), None);
    assert_eq!(requests[1].param("Marker").as_deref(), Some("more"));
}

#[tokio::test]
async fn policy_documents_cover_user_and_groups_decoded_and_once_each() {
    let fake = Fake::start(account);
    let iam = SdkIam::new(settings(&fake.url));
    let docs = iam
        .user_policy_documents(&temporary(), "alice")
        .await
        .unwrap();
    assert_eq!(
        docs,
        [
            doc("inline-a"),
            doc("inline-b"),
            doc("ReadOnlyAccess-v3"),
            doc("group-inline"),
            doc("Deploy-v1"),
        ]
    );
    let requests = fake.requests();
    let get_policy: Vec<String> = requests
        .iter()
        .filter(|r| r.action() == "GetPolicy")
        .map(|r| r.param("PolicyArn").unwrap())
        .collect();
    assert_eq!(
        get_policy,
        [READ_ONLY, DEPLOY],
        "each managed policy is fetched once"
    );
    let user_pages: Vec<Option<String>> = requests
        .iter()
        .filter(|r| r.action() == "ListUserPolicies")
        .map(|r| r.param("Marker"))
        .collect();
    assert_eq!(user_pages, [None, Some("page-2".to_string())]);
    assert!(
        requests.iter().all(
            |r| r.header("x-amz-security-token") == Some("fake-session-token")
                && r.credential_scope()
                    .is_some_and(|s| s.0 == "ASIAFAKESESSION")
        ),
        "every call is signed with the given credentials"
    );
}

#[tokio::test]
async fn an_iam_error_names_the_operation_code_and_message() {
    let fake = Fake::start(|req: &Request| {
        if req.action() == "ListAttachedUserPolicies" {
            Reply::Xml(
                403,
                error_xml("AccessDenied", "alice may not list attached policies"),
            )
        } else {
            account(req)
        }
    });
    let iam = SdkIam::new(settings(&fake.url));
    let err = iam
        .user_policy_documents(&long_term(), "alice")
        .await
        .unwrap_err();
    assert_eq!(
        err,
        IamError {
            operation: "iam:ListAttachedUserPolicies".to_string(),
            message: "AccessDenied: alice may not list attached policies".to_string(),
        }
    );
}

#[tokio::test]
async fn an_unreachable_iam_endpoint_is_named() {
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let iam = SdkIam::new(settings(&endpoint));
    let err = iam
        .list_mfa_devices(&long_term(), "alice")
        .await
        .unwrap_err();
    assert_eq!(err.operation, "iam:ListMFADevices");
    assert!(
        err.message
            .starts_with(&format!("cannot reach {endpoint}: ")),
        "{err}"
    );
    assert!(!err.message.contains("fake-long-term-secret"), "{err}");
}

#[tokio::test]
async fn without_an_endpoint_iam_uses_its_global_endpoint() {
    let proxy = Fake::start(account);
    let iam = SdkIam::new(aws_runas_sts_sdk::AwsSettings {
        iam_endpoint: None,
        https_proxy: Some(proxy.url.clone()),
        ..settings("unused")
    });
    let err = iam
        .list_mfa_devices(&long_term(), "alice")
        .await
        .unwrap_err();
    assert!(
        err.message
            .starts_with("cannot reach https://iam.amazonaws.com: "),
        "{err}"
    );
    assert!(
        proxy
            .only_request()
            .line
            .starts_with("CONNECT iam.amazonaws.com:443 "),
        "{:?}",
        proxy.requests()
    );
}
