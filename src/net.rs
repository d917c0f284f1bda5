//! How requests reach the network: through which proxy, if any, trusting which certificates,
//! speaking which HTTP ([`crate::trust`]). Every HTTP client of the app is built with
//! [`Network::apply`], so the choice holds for the REST calls, the uploads and the thumbnails
//! alike.
//!
//! - Loopback (`localhost`, `127.0.0.0/8`, `::1`) is never proxied, whatever the environment
//!   says: the embedded sandbox and `wixup serve` on this computer are reached directly (before,
//!   `HTTP_PROXY` without `NO_PROXY` sent them to the proxy, and a dead proxy hung the upload).
//! - Automatic (the default): `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` in either
//!   case, as curl reads them (`NO_PROXY=*` included, for IP addresses too), and where the
//!   environment names none, the system's settings (Windows, macOS).
//! - None: direct. Manual: one `http://`, `https://` or `socks5://` proxy for everything but
//!   loopback, with a user and password when it asks for them (the password from the keychain,
//!   never from a command line).

use std::net::IpAddr;
use std::sync::Arc;

use reqwest::Url;
use serde::{Deserialize, Serialize};

use crate::redact::ApiKey;
use crate::trust::{HttpVersion, Trust, Uses};

/// The proxy as Settings and `--proxy` name it (no secret in it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum ProxyChoice {
    /// The environment's variables, else the system's settings.
    #[default]
    Automatic,
    /// Direct connections only.
    None,
    /// This proxy (`http://host:port`, `https://…`, `socks5://…`), with a user name when it
    /// asks for one (the password is kept in the keychain).
    Manual {
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user: Option<String>,
    },
}

impl ProxyChoice {
    /// `--proxy URL|none|auto`. A password in the URL is refused: a command line is seen by
    /// every process on the computer.
    pub fn parse_flag(text: &str) -> Result<ProxyChoice, String> {
        match text.trim() {
            "none" | "direct" => return Ok(ProxyChoice::None),
            "auto" | "automatic" => return Ok(ProxyChoice::Automatic),
            _ => {}
        }
        let url = proxy_url(text)?;
        if url.password().is_some() {
            return Err(
                "a proxy password does not go on the command line (every process on \
                 the computer can read it): save it in Settings (Advanced, Proxy), or set \
                 WIXUP_PROXY_PASSWORD"
                    .into(),
            );
        }
        let user = (!url.username().is_empty()).then(|| decoded(url.username()));
        let mut bare = url.clone();
        let _ = bare.set_username("");
        Ok(ProxyChoice::Manual {
            url: bare.to_string().trim_end_matches('/').to_string(),
            user,
        })
    }

    /// What Settings shows and the logs say: the URL without any secret.
    pub fn describe(&self) -> String {
        match self {
            ProxyChoice::Automatic => "automatic (environment, else system settings)".into(),
            ProxyChoice::None => "none".into(),
            ProxyChoice::Manual { url, user: None } => url.clone(),
            ProxyChoice::Manual { url, user: Some(u) } => format!("{url} (as {u})"),
        }
    }
}

/// A proxy URL as a person types it: `http://`, `https://` or `socks5(h)://`, host and port.
pub fn proxy_url(text: &str) -> Result<Url, String> {
    let text = text.trim();
    let with_scheme = if text.contains("://") {
        text.to_string()
    } else {
        format!("http://{text}")
    };
    let url = Url::parse(&with_scheme)
        .map_err(|e| format!("{text:?} is not a proxy address ({e}); write http://host:port"))?;
    if !matches!(url.scheme(), "http" | "https" | "socks5" | "socks5h") {
        return Err(format!(
            "a proxy starts with http://, https:// or socks5://, not {}://",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!(
            "{text:?} names no proxy host; write http://host:port"
        ));
    }
    Ok(url)
}

fn decoded(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// A proxy choice made ready for the clients: the manual proxy with its password, or the
/// environment and system settings read once.
#[derive(Clone)]
pub struct Network {
    route: Route,
    trust: Trust,
    http: HttpVersion,
}

#[derive(Clone)]
enum Route {
    Automatic(Arc<Automatic>),
    None,
    Manual(Url),
}

impl Default for Network {
    /// Automatic, read now.
    fn default() -> Self {
        Network {
            route: Route::Automatic(Arc::new(Automatic::read())),
            trust: Trust::default(),
            http: HttpVersion::default(),
        }
    }
}

/// The environment's and the system's proxies, as read at one moment.
struct Automatic {
    matcher: hyper_util::client::proxy::matcher::Matcher,
    /// `NO_PROXY=*`: nothing is proxied (the matcher honours it for names, not addresses).
    nothing: bool,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match &self.route {
            Route::Automatic(_) => "automatic".to_string(),
            Route::None => "none".to_string(),
            Route::Manual(u) => without_secret(u),
        };
        write!(f, "Network({what}, {:?}, {:?})", self.trust, self.http)
    }
}

impl Network {
    /// The proxy `choice` names; `password` for a manual proxy's user (from the keychain).
    pub fn new(choice: &ProxyChoice, password: Option<&ApiKey>) -> Result<Network, String> {
        let route = match choice {
            ProxyChoice::Automatic => return Ok(Network::default()),
            ProxyChoice::None => Route::None,
            ProxyChoice::Manual { url, user } => {
                let mut url = proxy_url(url)?;
                if let Some(user) = user.as_deref().filter(|u| !u.is_empty()) {
                    let _ = url.set_username(user);
                    let _ = url.set_password(password.map(ApiKey::expose));
                }
                Route::Manual(url)
            }
        };
        Ok(Network {
            route,
            ..Network::none()
        })
    }

    /// Direct connections only.
    pub fn none() -> Network {
        Network {
            route: Route::None,
            trust: Trust::default(),
            http: HttpVersion::default(),
        }
    }

    /// This, trusting `trust` beside the system's store.
    pub fn with_trust(mut self, trust: Trust) -> Network {
        self.trust = trust;
        self
    }

    /// This, speaking `http` over HTTPS.
    pub fn with_http(mut self, http: HttpVersion) -> Network {
        self.http = http;
        self
    }

    /// The certificates trusted beyond the system's.
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// The proxy a request to `url` goes through (with its credentials), or `None` to go
    /// direct.
    pub fn for_url(&self, url: &Url) -> Option<Url> {
        if is_loopback(url) {
            return None;
        }
        match &self.route {
            Route::None => None,
            Route::Manual(p) => Some(p.clone()),
            Route::Automatic(a) => a.route(url),
        }
    }

    /// The proxy a request to `url` goes through, as a person reads it (no password).
    pub fn describe_for(&self, url: &Url) -> Option<String> {
        self.for_url(url).map(|p| without_secret(&p))
    }

    /// `builder` for a client that carries `uses`: with this proxy (and reqwest's own reading
    /// of the environment turned off: it would proxy loopback), these certificates trusted, and
    /// this HTTP.
    pub fn apply(&self, uses: Uses, builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        let me = self.clone();
        let builder = builder
            .no_proxy()
            .proxy(reqwest::Proxy::custom(move |url| me.for_url(url)));
        self.http.apply(uses, self.trust.apply(builder))
    }
}

impl Automatic {
    fn read() -> Automatic {
        let no_proxy = ["NO_PROXY", "no_proxy"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
            .unwrap_or_default();
        Automatic {
            matcher: hyper_util::client::proxy::matcher::Matcher::from_system(),
            nothing: no_proxy.split(',').any(|p| p.trim() == "*"),
        }
    }

    fn route(&self, url: &Url) -> Option<Url> {
        if self.nothing {
            return None;
        }
        let uri: http::Uri = url.as_str().parse().ok()?;
        let got = self.matcher.intercept(&uri)?;
        let mut proxy = Url::parse(&got.uri().to_string()).ok()?;
        if let Some((user, pass)) = got.basic_auth().and_then(basic_credentials) {
            let _ = proxy.set_username(&user);
            let _ = proxy.set_password(Some(&pass));
        }
        Some(proxy)
    }
}

/// The user and password of a `Basic` authorization value.
fn basic_credentials(value: &http::HeaderValue) -> Option<(String, String)> {
    use base64::Engine as _;
    let b64 = value.to_str().ok()?.strip_prefix("Basic ")?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_string(), pass.to_string()))
}

/// A proxy URL with its user but never its password.
fn without_secret(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_password(None);
    shown.to_string().trim_end_matches('/').to_string()
}

/// This computer: `localhost` (and names under it), `127.0.0.0/8`, `::1`, and the unspecified
/// address.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback()
                || ip.is_unspecified()
                || ip
                    .to_ipv4_mapped()
                    .is_some_and(|v4| IpAddr::V4(v4).is_loopback())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn loopback_in_every_spelling_goes_direct() {
        let manual = Network::new(
            &ProxyChoice::Manual {
                url: "http://proxy.corp:3128".into(),
                user: None,
            },
            None,
        )
        .unwrap();
        for direct in [
            "http://127.0.0.1:8080/x",
            "http://127.8.9.10/",
            "http://localhost:1/",
            "http://LOCALHOST./",
            "http://app.localhost/",
            "http://[::1]:80/",
            "http://[::ffff:127.0.0.1]/",
            "http://0.0.0.0:9/",
        ] {
            assert_eq!(manual.for_url(&url(direct)), None, "{direct}");
        }
        assert_eq!(
            manual.for_url(&url("https://www.wixapis.com/site-media/v1/files")),
            Some(url("http://proxy.corp:3128"))
        );
        assert_eq!(
            Network::none().for_url(&url("https://www.wixapis.com/")),
            None
        );
    }

    #[test]
    fn a_manual_proxy_carries_its_user_and_the_keychains_password_but_never_shows_it() {
        let choice = ProxyChoice::parse_flag("http://ana%40corp@10.0.0.1:3128").unwrap();
        assert_eq!(
            choice,
            ProxyChoice::Manual {
                url: "http://10.0.0.1:3128".into(),
                user: Some("ana@corp".into())
            }
        );
        let p = Network::new(&choice, Some(&ApiKey::new("s3cret:pw"))).unwrap();
        let used = p.for_url(&url("https://www.wixapis.com/")).unwrap();
        assert_eq!(used.username(), "ana%40corp");
        assert_eq!(decoded(used.password().unwrap()), "s3cret:pw");
        let said = format!(
            "{p:?} {}",
            p.describe_for(&url("https://www.wixapis.com/")).unwrap()
        );
        assert!(!said.contains("s3cret"), "{said}");
        assert!(ProxyChoice::parse_flag("http://ana:pw@10.0.0.1:3128").is_err());
    }

    #[test]
    fn proxy_flags_are_read_as_people_write_them() {
        assert_eq!(ProxyChoice::parse_flag("none").unwrap(), ProxyChoice::None);
        assert_eq!(
            ProxyChoice::parse_flag("auto").unwrap(),
            ProxyChoice::Automatic
        );
        assert_eq!(
            ProxyChoice::parse_flag("proxy.corp:8080").unwrap(),
            ProxyChoice::Manual {
                url: "http://proxy.corp:8080".into(),
                user: None
            }
        );
        assert!(ProxyChoice::parse_flag("socks5://127.0.0.1:1080").is_ok());
        for bad in ["ftp://proxy:21", "http://", "http://:8080"] {
            assert!(ProxyChoice::parse_flag(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn basic_credentials_are_read_back() {
        let v = http::HeaderValue::from_static("Basic YW5hOnMzY3JldDpwdw==");
        assert_eq!(
            basic_credentials(&v),
            Some(("ana".to_string(), "s3cret:pw".to_string()))
        );
    }
}
