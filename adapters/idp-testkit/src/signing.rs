//! Test signing keys and JSON Web Tokens for the mock OIDC provider.
//!
//! Two RSA-2048 keys are generated once per test process (aws-lc-rs; nothing is shipped in the
//! repository): the provider's key, published in its JWKS, and another key that signs the
//! "wrong key" tokens. Tokens are built by hand (RS256: RSASSA-PKCS1-v1_5 with SHA-256), which
//! also makes the broken variants (`alg: none`, another key) easy.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::sync::OnceLock;

/// The key id the mock provider publishes and puts in its tokens' headers.
pub const MOCK_KEY_ID: &str = "mock-oidc-key-1";

/// How a mock ID token is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSigning {
    /// RS256 with the provider's published key.
    Good,
    /// RS256 with another key, under the published key's id: the signature does not verify.
    OtherKey,
    /// Unsigned: `alg: none` and an empty signature.
    AlgNone,
}

struct Keys {
    main: RsaKeyPair,
    other: RsaKeyPair,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        main: RsaKeyPair::generate(KeySize::Rsa2048).expect("generate the mock provider's RSA key"),
        other: RsaKeyPair::generate(KeySize::Rsa2048).expect("generate the other RSA key"),
    })
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The provider's JWKS document: its one RS256 public key, as `{"keys":[…]}`.
pub fn jwks_json() -> String {
    let components = RsaPublicKeyComponents::<Vec<u8>>::from(keys().main.public_key());
    serde_json::json!({
        "keys": [{
            "kty": "RSA",
            "kid": MOCK_KEY_ID,
            "use": "sig",
            "alg": "RS256",
            "n": b64(&components.n),
            "e": b64(&components.e),
        }]
    })
    .to_string()
}

/// A JWT of `claims`, signed as `signing` says.
///
/// # Panics
/// When RSA signing fails (it does not with a generated key).
pub fn sign_jwt(claims: &serde_json::Value, signing: TokenSigning) -> String {
    let header = match signing {
        TokenSigning::AlgNone => serde_json::json!({"alg": "none", "typ": "JWT"}),
        _ => serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": MOCK_KEY_ID}),
    };
    let message = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let key = match signing {
        TokenSigning::AlgNone => return format!("{message}."),
        TokenSigning::Good => &keys().main,
        TokenSigning::OtherKey => &keys().other,
    };
    let mut signature = vec![0u8; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        message.as_bytes(),
        &mut signature,
    )
    .expect("RSA signing");
    format!("{message}.{}", b64(&signature))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents as Pk};

    #[test]
    fn tokens_verify_with_the_published_key_only() {
        let claims = serde_json::json!({"sub": "x"});
        let jwks: serde_json::Value = serde_json::from_str(&jwks_json()).unwrap();
        let key = &jwks["keys"][0];
        assert_eq!(key["kid"], MOCK_KEY_ID);
        let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
        let e = URL_SAFE_NO_PAD.decode(key["e"].as_str().unwrap()).unwrap();
        let public = Pk { n, e };
        let check = |token: &str| {
            let (message, sig) = token.rsplit_once('.').unwrap();
            let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
            public
                .verify(&RSA_PKCS1_2048_8192_SHA256, message.as_bytes(), &sig)
                .is_ok()
        };
        assert!(check(&sign_jwt(&claims, TokenSigning::Good)));
        assert!(!check(&sign_jwt(&claims, TokenSigning::OtherKey)));
        let none = sign_jwt(&claims, TokenSigning::AlgNone);
        assert!(none.ends_with('.'));
        assert_eq!(none.split('.').count(), 3);
    }
}
