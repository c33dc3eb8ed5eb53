//! A TLS failure (feature `redis-tls`) told apart from the client's other errors, so that
//! `last_error` says it is one.

use std::sync::Arc;

use redis::RedisError;

/// `error`'s TLS failure, said as one (`TLS: invalid peer certificate: UnknownIssuer`), or
/// `None` when it is not one.
pub(super) fn describe(error: &RedisError) -> Option<String> {
    let source = std::error::Error::source(error)?;
    // The client keeps I/O errors shared; rustls's errors travel inside them.
    let io = source
        .downcast_ref::<Arc<dyn std::error::Error + Send + Sync>>()
        .and_then(|shared| shared.downcast_ref::<std::io::Error>())
        .or_else(|| source.downcast_ref::<std::io::Error>())?;
    let tls = io.get_ref()?.downcast_ref::<rustls::Error>()?;
    Some(format!("TLS: {tls}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rustls_error_reads_as_tls_and_others_do_not() {
        let certificate =
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let error = RedisError::from(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            certificate,
        ));
        let described = describe(&error).expect("a TLS error");
        assert!(
            described.starts_with("TLS: invalid peer certificate"),
            "{described}"
        );
        let refused = RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(describe(&refused), None);
    }
}
