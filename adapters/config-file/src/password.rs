//! The codec of stored identity-provider passwords, byte-for-byte the original aws-runas format.
//!
//! This is obfuscation, not encryption: the key is derived from the identity-provider URL,
//! which sits next to the value in the same file, so anyone who can read the file can recover
//! the password. It keeps the password from being read over a shoulder or found by grep.
//!
//! The stored text is `<cost hex>$<base32 salt>$<base64 (iv || ciphertext)>`:
//! * `inner` = base64 (standard alphabet, no padding) of the password, each character rotated
//!   by 32 places in that alphabet (`A–Z a–z 0–9 + /`), then padded with `=` to a multiple of
//!   16 bytes;
//! * `key` = scrypt(URL bytes, salt, N = 2^cost, r = 8, p = 1, 16 bytes), with an 8-byte
//!   random salt and cost 18;
//! * ciphertext = AES-128-CBC(key, 16-byte random iv, inner), with no further padding;
//! * salt in base32 (standard alphabet, no padding), iv and ciphertext in base64 (standard
//!   alphabet, no padding).

use aes::Aes128;
use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use aws_runas_domain::Secret;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use data_encoding::BASE32_NOPAD;
use zeroize::Zeroizing;

/// The scrypt cost (log2 N) the original writes.
pub(crate) const COST: u8 = 18;

/// The largest cost a stored value may name: scrypt needs 2^cost KiB of memory (1 GiB here), so
/// a damaged value must not make a read allocate without bound.
const MAX_COST: u8 = 20;

const SALT_LEN: usize = 8;
const BLOCK: usize = 16;
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Encodes `password` for the identity provider at `url`, with a fresh random salt and iv.
///
/// This runs scrypt at cost 18: a fraction of a second in an optimised build.
pub(crate) fn encode(url: &str, password: &Secret, cost: u8) -> std::io::Result<String> {
    let mut salt = [0u8; SALT_LEN];
    let mut iv = [0u8; BLOCK];
    getrandom::fill(&mut salt)?;
    getrandom::fill(&mut iv)?;
    encode_with(url, password, cost, &salt, &iv)
        .ok_or_else(|| std::io::Error::other(format!("invalid scrypt cost {cost}")))
}

/// Encodes with the given salt and iv; `None` only for a cost scrypt rejects.
fn encode_with(
    url: &str,
    password: &Secret,
    cost: u8,
    salt: &[u8],
    iv: &[u8; BLOCK],
) -> Option<String> {
    let encoded = Zeroizing::new(STANDARD_NO_PAD.encode(password.expose()));
    let mut inner = rotate(encoded.as_bytes())?;
    let len = inner.len().next_multiple_of(BLOCK);
    inner.resize(len, b'=');
    let key = derive_key(url, salt, cost)?;
    let ciphertext = cbc::Encryptor::<Aes128>::new_from_slices(key.as_slice(), iv)
        .ok()?
        .encrypt_padded::<NoPadding>(&mut inner, len)
        .ok()?
        .to_vec();
    let mut data = Vec::with_capacity(BLOCK + ciphertext.len());
    data.extend_from_slice(iv);
    data.extend_from_slice(&ciphertext);
    Some(format!(
        "{cost:x}${}${}",
        BASE32_NOPAD.encode(salt),
        STANDARD_NO_PAD.encode(&data)
    ))
}

/// Decodes a stored value; `None` when it is not in the format (a plain-text password, say)
/// or does not decode to UTF-8 text with this URL.
///
/// Everything that can be checked cheaply is checked before scrypt runs.
pub(crate) fn decode(url: &str, stored: &str) -> Option<Secret> {
    let mut parts = stored.split('$');
    let (cost, salt, data) = (parts.next()?, parts.next()?, parts.next()?);
    let cost = u8::from_str_radix(cost, 16).ok()?;
    if cost == 0 || cost > MAX_COST {
        return None;
    }
    let salt = BASE32_NOPAD.decode(salt.as_bytes()).ok()?;
    let data = STANDARD_NO_PAD.decode(data).ok()?;
    if data.len() < BLOCK || data.len() % BLOCK != 0 {
        return None;
    }
    let (iv, ciphertext) = data.split_at(BLOCK);
    let key = derive_key(url, &salt, cost)?;
    let mut inner = Zeroizing::new(ciphertext.to_vec());
    let plain = cbc::Decryptor::<Aes128>::new_from_slices(key.as_slice(), iv)
        .ok()?
        .decrypt_padded::<NoPadding>(&mut inner)
        .ok()?;
    let end = plain.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
    let encoded = rotate(&plain[..end])?;
    let bytes = Zeroizing::new(STANDARD_NO_PAD.decode(encoded.as_slice()).ok()?);
    let text = std::str::from_utf8(&bytes).ok()?;
    Some(Secret::new(text))
}

/// scrypt(url, salt, 2^cost, 8, 1) → 16 bytes.
fn derive_key(url: &str, salt: &[u8], cost: u8) -> Option<Zeroizing<[u8; BLOCK]>> {
    let params = scrypt::Params::new(cost, 8, 1).ok()?;
    let mut key = Zeroizing::new([0u8; BLOCK]);
    scrypt::scrypt(url.as_bytes(), salt, &params, key.as_mut_slice()).ok()?;
    Some(key)
}

/// Rotates each base64 character by 32 places (its own inverse); `None` for a byte outside
/// the alphabet.
fn rotate(text: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(Vec::with_capacity(text.len().next_multiple_of(BLOCK)));
    for &c in text {
        let i = ALPHABET.iter().position(|&a| a == c)?;
        out.push(ALPHABET[(i + 32) % 64]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://idp.example.com/app/aws/sso/saml";
    const SALT: [u8; SALT_LEN] = [1, 2, 3, 4, 5, 6, 7, 8];
    const IV: [u8; BLOCK] = [
        0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e,
        0x1f,
    ];

    #[test]
    fn the_inner_text_is_rotated_base64_padded_to_a_block() {
        // "fake-pass" in base64 without padding is "ZmFrZS1wYXNz" (9 bytes → 12 characters).
        // Rotating by 32 in A–Z a–z 0–9 + /: Z(25)→57 '5', m(38)→6 'G', F(5)→37 'l',
        // r(43)→11 'L', Z→'5', S(18)→50 'y', 1(53)→21 'V', w(48)→16 'Q', Y(24)→56 '4',
        // X(23)→55 '3', N(13)→45 't', z(51)→19 'T'.
        let encoded = STANDARD_NO_PAD.encode("fake-pass");
        assert_eq!(encoded, "ZmFrZS1wYXNz");
        let rotated = rotate(encoded.as_bytes()).unwrap();
        assert_eq!(rotated.as_slice(), b"5GlL5yVQ43tT");
        // Rotating twice gives the original back.
        assert_eq!(rotate(&rotated).unwrap().as_slice(), encoded.as_bytes());
        // Characters outside the alphabet are refused.
        assert!(rotate(b"ab=").is_none());
    }

    /// Expected values computed independently (Python's `hashlib.scrypt` and the
    /// `cryptography` package's AES-CBC) from the steps in the module docs:
    /// inner = "5GlL5yVQ43tT" + "====" (12 → 16 bytes);
    /// key = scrypt(URL, 01..08, 2^18, 8, 1, 16) = 335c155abc57b64d3e112d7eb5882216;
    /// salt 01..08 in base32 = "AEBAGBAFAYDQQ"; iv = 10..1f.
    const FAKE_PASS_COST_18: &str = "12$AEBAGBAFAYDQQ$EBESExQVFhcYGRobHB0eH+a15B0d3sIZxnMlTuV6NMM";

    #[test]
    fn a_known_value_encodes_and_decodes_exactly() {
        let password = Secret::new("fake-pass");
        assert_eq!(
            encode_with(URL, &password, COST, &SALT, &IV).unwrap(),
            FAKE_PASS_COST_18
        );
        assert_eq!(
            decode(URL, FAKE_PASS_COST_18).unwrap().expose(),
            "fake-pass"
        );
    }

    #[test]
    fn a_longer_non_ascii_password_at_a_low_cost() {
        // Same steps, cost 4 and a password whose base64 needs 13 padding characters.
        let password = Secret::new("Fake pässwörd with spaces & symbols!");
        let low = encode_with(URL, &password, 4, &SALT, &IV).unwrap();
        assert!(
            low.starts_with("4$AEBAGBAFAYDQQ$EBESExQVFhcYGRobHB0eH"),
            "{low}"
        );
        // 16 bytes of iv and 64 of ciphertext: 80 bytes, 107 base64 characters.
        assert_eq!(low.rsplit('$').next().unwrap().len(), 107);
        assert_eq!(decode(URL, &low).unwrap(), password);
        let single = encode_with(URL, &Secret::new("fake-pass"), 4, &SALT, &IV).unwrap();
        assert_eq!(
            single,
            "4$AEBAGBAFAYDQQ$EBESExQVFhcYGRobHB0eH+GWuVLHg9uTEnleBThRcsQ"
        );
    }

    #[test]
    fn round_trip_with_random_salt_and_iv() {
        let password = Secret::new("correct horse battery staple (fake)");
        let first = encode(URL, &password, COST).unwrap();
        let second = encode(URL, &password, COST).unwrap();
        assert_ne!(first, second, "salt and iv are random");
        assert!(first.starts_with("12$"), "{first}");
        assert_eq!(first.split('$').nth(1).unwrap().len(), 13);
        assert_eq!(decode(URL, &first).unwrap(), password);
        // Another URL derives another key.
        assert!(decode("https://other.example.com/", &first).is_none_or(|p| p != password));
    }

    #[test]
    fn things_that_are_not_encoded_values_do_not_decode() {
        for text in [
            "plain-fake-password",
            "",
            "a$b$c",
            "12$AEBAGBAFAYDQQ",
            "zz$AEBAGBAFAYDQQ$EBESExQVFhcYGRobHB0eH+a15B0d3sIZxnMlTuV6NMM",
            "0$AEBAGBAFAYDQQ$EBESExQVFhcYGRobHB0eH+a15B0d3sIZxnMlTuV6NMM",
            // A cost that would need 2^40 KiB of memory is refused before scrypt runs.
            "28$AEBAGBAFAYDQQ$EBESExQVFhcYGRobHB0eH+a15B0d3sIZxnMlTuV6NMM",
            "12$not-base32$EBESExQVFhcYGRobHB0eH+a15B0d3sIZxnMlTuV6NMM",
            "12$AEBAGBAFAYDQQ$EBESExQVFhcYGRobHB0eH+a15B0d3sIZxnMlTuV6NM",
        ] {
            assert!(decode(URL, text).is_none(), "{text}");
        }
    }

    #[test]
    fn the_empty_password_survives() {
        let stored = encode_with(URL, &Secret::new(""), 4, &SALT, &IV).unwrap();
        // Only the iv: no ciphertext block.
        assert_eq!(stored, "4$AEBAGBAFAYDQQ$EBESExQVFhcYGRobHB0eHw");
        assert_eq!(decode(URL, &stored).unwrap().expose(), "");
    }
}
