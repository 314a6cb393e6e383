//! The tool's RSA keys: made on first need and kept in the database, so every server signs with the same
//! (oldest) key and publishes all of them as the JWKS at `/lti/jwks`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::LtiError;
use crate::storage::AnyConnection;
use crate::storage::lti::{self as store, StoredKey};

/// The size of the tool's keys, as IMS security requires at least.
const KEY_BITS: usize = 2048;

/// One key of the tool: its id, the signing key and the public half as a JWK.
pub struct ToolKey {
    pub kid: String,
    encoding: EncodingKey,
    jwk: serde_json::Value,
}

impl ToolKey {
    /// Reads a stored key (PKCS#8 PEM).
    pub fn parse(stored: &StoredKey) -> Result<ToolKey, LtiError> {
        let private = RsaPrivateKey::from_pkcs8_pem(&stored.private_pem)
            .map_err(|e| LtiError::Key(format!("key {} does not parse: {e}", stored.kid)))?;
        let encoding = EncodingKey::from_rsa_pem(stored.private_pem.as_bytes())
            .map_err(|e| LtiError::Key(format!("key {}: {e}", stored.kid)))?;
        Ok(ToolKey {
            kid: stored.kid.clone(),
            jwk: public_jwk(&stored.kid, &private.to_public_key()),
            encoding,
        })
    }

    /// The public key as a JWK (`kty`, `alg`, `use`, `kid`, `n`, `e`).
    pub fn jwk(&self) -> &serde_json::Value {
        &self.jwk
    }

    /// Signs `claims` as an RS256 JWT whose header names this key.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, LtiError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| LtiError::Key(format!("signing with key {}: {e}", self.kid)))
    }
}

/// The public half of `key` as a JWK.
pub fn public_jwk(kid: &str, key: &RsaPublicKey) -> serde_json::Value {
    serde_json::json!({
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
        "kid": kid,
        "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    })
}

/// A fresh 2048-bit key, as stored. Its id is derived from the modulus (so it names the key itself).
pub fn generate() -> Result<StoredKey, LtiError> {
    let mut rng = rsa::rand_core::OsRng;
    let private = RsaPrivateKey::new(&mut rng, KEY_BITS)
        .map_err(|e| LtiError::Key(format!("cannot generate: {e}")))?;
    let pem = private
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| LtiError::Key(format!("cannot encode: {e}")))?;
    let digest = Sha256::digest(private.n().to_bytes_be());
    let kid: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    Ok(StoredKey {
        kid,
        private_pem: pem.to_string(),
    })
}

/// The tool's keys, oldest first: the first signs, all are published.
pub struct ToolKeys {
    keys: Vec<ToolKey>,
}

impl ToolKeys {
    /// Reads the keys, making and storing the first one if there is none yet.
    pub fn load_or_create(conn: &mut AnyConnection) -> Result<ToolKeys, LtiError> {
        let mut stored = store::tool_keys(conn)?;
        if stored.is_empty() {
            let fresh = generate()?;
            stored = store::add_tool_key_if_none(conn, &fresh)?;
        }
        let keys = stored
            .iter()
            .map(ToolKey::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(LtiError::Key("no key was stored".into()));
        }
        Ok(ToolKeys { keys })
    }

    /// The key that signs.
    pub fn signing(&self) -> Result<&ToolKey, LtiError> {
        self.keys
            .first()
            .ok_or_else(|| LtiError::Key("the tool has no key".into()))
    }

    /// The JWKS document: every public key.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({ "keys": self.keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_signs_what_its_jwk_verifies() {
        let stored = generate().unwrap_or_else(|e| panic!("{e}"));
        let key = ToolKey::parse(&stored).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(key.jwk()["kid"], stored.kid.as_str());
        assert_eq!(key.jwk()["e"], "AQAB");
        let token = key
            .sign(&serde_json::json!({"hello": "world"}))
            .unwrap_or_else(|e| panic!("{e}"));
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(key.jwk().clone()).unwrap_or_else(|e| panic!("{e}"));
        let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap_or_else(|e| panic!("{e}"));
        let mut v = jsonwebtoken::Validation::new(Algorithm::RS256);
        v.required_spec_claims.clear();
        v.validate_exp = false;
        let data = jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &v)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(data.claims["hello"], "world");
        assert_eq!(data.header.kid.as_deref(), Some(stored.kid.as_str()));
    }
}
