//! `wixup serve --tls`: HTTPS as Wix serves it, HTTP/2 offered by ALPN beside HTTP/1.1.
//!
//! The certificate is a person's own (`--tls-cert`, `--tls-key`, PEM), or one made at start:
//! a local certificate authority kept in the data dir (`tls/ca.pem`, made once and reused, so a
//! client told to trust it keeps trusting it across restarts) signs a fresh server certificate
//! for `localhost`, the bound address and the `--public-url` host. Clients trust `tls/ca.pem`
//! through `WIXUP_CA_FILE` (or Settings, Advanced), as an office's TLS-inspecting proxy has
//! its CA trusted: never by accepting any certificate.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls;

/// Where the certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    /// Made at start, signed by the data dir's own CA (`tls/ca.pem`).
    Generated,
    /// A chain and its key, PEM files.
    Files { cert: PathBuf, key: PathBuf },
}

/// The server's TLS: what it answers handshakes with, and the CA file a client trusts for it
/// (for a generated certificate).
pub(super) struct ServerTls {
    pub acceptor: tokio_rustls::TlsAcceptor,
    pub ca_file: Option<PathBuf>,
}

/// The folder under the data dir that holds the generated CA and certificate.
pub fn tls_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("tls")
}

/// The CA a client trusts for a generated certificate: `DATA_DIR/tls/ca.pem`.
pub fn ca_file(data_dir: &Path) -> PathBuf {
    tls_dir(data_dir).join("ca.pem")
}

pub(super) fn server_tls(
    source: &TlsSource,
    data_dir: &Path,
    addr: SocketAddr,
    public_host: Option<&str>,
) -> std::io::Result<ServerTls> {
    let (chain, key, ca_file) = match source {
        TlsSource::Files { cert, key } => {
            let chain = read_chain(cert)?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
                invalid(format!(
                    "{}: no private key in it as PEM ({e})",
                    key.display()
                ))
            })?;
            (chain, key, None)
        }
        TlsSource::Generated => {
            let (chain, key) = generate(data_dir, addr, public_host)?;
            (chain, key, Some(ca_file(data_dir)))
        }
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| invalid(format!("the certificate and key do not go together: {e}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(ServerTls {
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        ca_file,
    })
}

fn read_chain(path: &Path) -> std::io::Result<Vec<CertificateDer<'static>>> {
    let chain = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| invalid(format!("{}: not a PEM certificate ({e})", path.display())))?;
    if chain.is_empty() {
        return Err(invalid(format!("{}: holds no certificate", path.display())));
    }
    Ok(chain)
}

/// The data dir's CA (made on first use) and a new server certificate it signs, written beside
/// it (`tls/cert.pem`, `tls/key.pem`) for other tools to use.
fn generate(
    data_dir: &Path,
    addr: SocketAddr,
    public_host: Option<&str>,
) -> std::io::Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let dir = tls_dir(data_dir);
    std::fs::create_dir_all(&dir)?;
    let ca_path = ca_file(data_dir);
    let ca_key_path = dir.join("ca-key.pem");
    // The CA's name and constraints are always the ones below, so the stored key with them
    // signs as the stored certificate does (its subject and key identifier match).
    let ca_params = ca_params()?;
    let ca_key = match (
        std::fs::read_to_string(&ca_path),
        std::fs::read_to_string(&ca_key_path),
    ) {
        (Ok(_), Ok(key)) => rcgen::KeyPair::from_pem(&key)
            .map_err(|e| invalid(format!("{}: {e}; delete it", ca_key_path.display())))?,
        _ => {
            let key = rcgen::KeyPair::generate().map_err(other)?;
            let cert = ca_params.self_signed(&key).map_err(other)?;
            write_private(&ca_key_path, key.serialize_pem().as_bytes())?;
            crate::fs::write_atomic(&ca_path, cert.pem().as_bytes())?;
            key
        }
    };
    let mut names = vec!["localhost".to_string(), addr.ip().to_string()];
    if addr.ip().is_unspecified() {
        names.push(if addr.is_ipv6() { "::1" } else { "127.0.0.1" }.into());
    }
    if let Some(h) = public_host {
        names.push(h.trim_start_matches('[').trim_end_matches(']').to_string());
    }
    names.sort();
    names.dedup();
    let key = rcgen::KeyPair::generate().map_err(other)?;
    let mut params = rcgen::CertificateParams::new(names).map_err(other)?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Wixup sandbox");
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let cert = params.signed_by(&key, &issuer).map_err(other)?;
    crate::fs::write_atomic(&dir.join("cert.pem"), cert.pem().as_bytes())?;
    write_private(&dir.join("key.pem"), key.serialize_pem().as_bytes())?;
    let key = PrivateKeyDer::try_from(key.serialize_der()).map_err(invalid)?;
    Ok((vec![cert.der().clone()], key))
}

fn ca_params() -> std::io::Result<rcgen::CertificateParams> {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(other)?;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Wixup sandbox local CA");
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    Ok(params)
}

/// A key file only its owner reads.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        let mut f = o.open(&tmp)?;
        std::io::Write::write_all(&mut f, bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

fn invalid(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, e)
}

fn other(e: rcgen::Error) -> std::io::Error {
    std::io::Error::other(e.to_string())
}
