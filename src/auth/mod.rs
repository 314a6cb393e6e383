//! Credentials: password hashing (argon2id) and session tokens. No storage and no HTTP here.

use argon2::Argon2;
use argon2::password_hash::PasswordHasher;
use argon2::password_hash::PasswordVerifier;
use rand::Rng;

/// Hashes a password into a PHC string (argon2id, random salt, the crate's recommended parameters).
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// Whether `password` matches the PHC string `hash` (false for a malformed hash).
pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// A hash that no password matches, verified against when the login is unknown, so that the answer takes
/// as long as for a known login and does not reveal which logins exist.
pub fn decoy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Wc0l6l2uVJ8x9cvF3bpWcK+7Lr2QD5wLgW2+8sJrY5M"
}

/// A new random token (256 bits, hex), from the operating system's CSPRNG via the thread RNG.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What is stored of a token: its SHA-256, so a leaked database does not leak live sessions.
pub fn token_digest(token: &str) -> String {
    crate::storage::sha256_hex(token.as_bytes())
}

/// Password rules: at least 8 characters, at most 200.
pub fn check_password_strength(password: &str) -> Result<(), &'static str> {
    let n = password.chars().count();
    if n < 8 {
        Err("the password must have at least 8 characters")
    } else if n > 200 {
        Err("the password must have at most 200 characters")
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() -> Result<(), String> {
        let h = hash_password("correct horse battery")?;
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("anything", "not a hash"));
        assert!(!verify_password("anything", decoy_hash()));
        assert_ne!(hash_password("same")?, hash_password("same")?, "salted");
        Ok(())
    }

    #[test]
    fn tokens_are_long_random_and_digested() {
        let a = new_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_token());
        assert_ne!(token_digest(&a), a);
    }
}
