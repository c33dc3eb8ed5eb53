//! DER certificates as PEM text: the client takes its roots as one PEM bundle, so the
//! platform's roots (which come as DER) are written out before `RESILIENCE_REDIS_CA`'s.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Appends `der` to `out` as one `CERTIFICATE` block.
pub(super) fn push_certificate(out: &mut Vec<u8>, der: &[u8]) {
    out.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
    let encoded = base64(der);
    for line in encoded.chunks(64) {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out.extend_from_slice(b"-----END CERTIFICATE-----\n");
}

/// Standard base64, padded.
fn base64(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let digit = |shift: u32| ALPHABET[((n >> shift) & 0x3f) as usize];
        out.push(digit(18));
        out.push(digit(12));
        out.push(if chunk.len() > 1 { digit(6) } else { b'=' });
        out.push(if chunk.len() > 2 { digit(0) } else { b'=' });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_pads_as_the_standard_says() {
        assert_eq!(base64(b""), b"");
        assert_eq!(base64(b"f"), b"Zg==");
        assert_eq!(base64(b"fo"), b"Zm8=");
        assert_eq!(base64(b"foo"), b"Zm9v");
        assert_eq!(base64(b"foobar"), b"Zm9vYmFy");
    }

    #[test]
    fn blocks_read_back_as_the_same_certificate() {
        let der: Vec<u8> = (0..=255).cycle().take(700).collect();
        let mut pem = Vec::new();
        push_certificate(&mut pem, &der);
        push_certificate(&mut pem, b"second");
        let text = String::from_utf8(pem.clone()).unwrap();
        assert!(text.lines().all(|line| line.len() <= 64));
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let read: Vec<CertificateDer<'_>> = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].as_ref(), der.as_slice());
        assert_eq!(read[1].as_ref(), b"second");
    }
}
