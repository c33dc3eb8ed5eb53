//! `rediss://` (feature `redis-tls`): which certificates a connection trusts, the crypto
//! provider it needs (TLS failures are told apart in `tls_error`).
//!
//! A connection trusts the platform's roots (read once per process; `SSL_CERT_FILE` and
//! `SSL_CERT_DIR` override where they are read from) plus every certificate in the PEM file
//! named by `RESILIENCE_REDIS_CA`, read again at each connection so that a rotated file takes
//! effect without a restart.

use std::sync::OnceLock;

use redis::TlsCertificates;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::failure::{Failure, FailureKind};
use super::pem;
use super::url;

/// The certificates a `rediss://` connection trusts, as the client takes them.
pub(super) fn certificates() -> Result<TlsCertificates, Failure> {
    ensure_crypto_provider();
    let mut bundle = platform_roots().clone();
    if let Some(path) = url::ca_file() {
        let shown = path.display();
        let pem = std::fs::read(&path).map_err(|error| {
            Failure::new(
                FailureKind::Other,
                format!("TLS: cannot read {} `{shown}`: {error}", url::CA_VARIABLE),
            )
        })?;
        let certificates = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| {
                Failure::new(
                    FailureKind::Other,
                    format!("TLS: {} `{shown}` is not PEM: {error}", url::CA_VARIABLE),
                )
            })?;
        if certificates.is_empty() {
            return Err(Failure::new(
                FailureKind::Other,
                format!("TLS: {} `{shown}` holds no certificate", url::CA_VARIABLE),
            ));
        }
        for certificate in &certificates {
            pem::push_certificate(&mut bundle, certificate);
        }
    }
    Ok(TlsCertificates {
        client_tls: None,
        root_cert: Some(bundle),
    })
}

/// The platform's roots as PEM, read once. A root store that cannot be read leaves only
/// `RESILIENCE_REDIS_CA`'s certificates, said once in the log.
fn platform_roots() -> &'static Vec<u8> {
    static ROOTS: OnceLock<Vec<u8>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        for error in &found.errors {
            tracing::warn!(
                target: "resilience_runtime::redis",
                %error,
                "some of the platform's TLS roots could not be read"
            );
        }
        let mut bundle = Vec::new();
        for certificate in &found.certs {
            pem::push_certificate(&mut bundle, certificate);
        }
        bundle
    })
}

/// rustls needs a process-wide crypto provider; an application that chose none gets ring's
/// (an application that enabled several providers and installed none would otherwise make
/// the client panic).
fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Another thread may have installed one meanwhile: either way, one is there.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
