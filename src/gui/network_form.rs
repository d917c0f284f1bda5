//! How uploads use the network, in Settings. Advanced → Proxy: Automatic (the environment, else
//! the system's settings), None, or Manual with an address, a user, and a password that goes to
//! the keychain (never to `settings.json`); the local sandbox is never proxied, so the choice is
//! offered with the Wix site's fields. Advanced → "Trusted CA file": a certificate authority
//! trusted beside the system's (an office's TLS inspection), as `WIXUP_CA_FILE` names one; it is
//! read when Test connection or Save runs, never here. And "Limit upload speed", a rate typed as
//! `--limit-rate` is, for every transfer together.

use egui::RichText;

use crate::net::{ProxyChoice, proxy_url};

use super::style::a11y;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Automatic,
    None,
    Manual,
}

/// What the proxy fields hold in one opening of Settings.
pub struct ProxyForm {
    mode: Mode,
    url: String,
    user: String,
    /// Typed in this opening; empty keeps the saved one.
    pub password: String,
    /// Why the address is no proxy (Save waits until it is one).
    pub error: Option<String>,
}

impl ProxyForm {
    pub fn new(choice: &ProxyChoice) -> ProxyForm {
        let (mode, url, user) = match choice {
            ProxyChoice::Automatic => (Mode::Automatic, String::new(), String::new()),
            ProxyChoice::None => (Mode::None, String::new(), String::new()),
            ProxyChoice::Manual { url, user } => {
                (Mode::Manual, url.clone(), user.clone().unwrap_or_default())
            }
        };
        ProxyForm {
            mode,
            url,
            user,
            password: String::new(),
            error: None,
        }
    }

    /// The choice as the fields say it now.
    pub fn choice(&self) -> Result<ProxyChoice, String> {
        match self.mode {
            Mode::Automatic => Ok(ProxyChoice::Automatic),
            Mode::None => Ok(ProxyChoice::None),
            Mode::Manual if self.url.trim().is_empty() => {
                Err("Proxy: type its address, e.g. http://proxy.example.com:3128".into())
            }
            Mode::Manual => {
                let url = proxy_url(&self.url).map_err(|e| format!("Proxy: {e}"))?;
                if url.password().is_some() || !url.username().is_empty() {
                    return Err("Proxy: put the user and password in their own fields".into());
                }
                let user = self.user.trim();
                Ok(ProxyChoice::Manual {
                    url: url.as_str().trim_end_matches('/').to_string(),
                    user: (!user.is_empty()).then(|| user.to_string()),
                })
            }
        }
    }

    /// The radio buttons and, for Manual, the address, user and password.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        ui.label("Proxy");
        ui.horizontal_wrapped(|ui| {
            ui.radio_value(&mut self.mode, Mode::Automatic, "Automatic")
                .on_hover_text(
                    "The proxy the environment names (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, \
                     NO_PROXY), else the system's proxy settings",
                );
            ui.radio_value(&mut self.mode, Mode::None, "None");
            ui.radio_value(&mut self.mode, Mode::Manual, "Manual");
        });
        if self.mode == Mode::Manual {
            egui::Grid::new("proxy")
                .num_columns(2)
                .spacing([12.0, 6.0])
                .show(ui, |ui| {
                    ui.label("Address");
                    let r = ui.add(
                        egui::TextEdit::singleline(&mut self.url)
                            .hint_text("http://proxy.example.com:3128")
                            .desired_width(260.0),
                    );
                    a11y(&r, egui::Role::TextInput, "Proxy address".into());
                    ui.end_row();
                    ui.label("User");
                    let r = ui.add(
                        egui::TextEdit::singleline(&mut self.user)
                            .hint_text("if the proxy asks for one")
                            .desired_width(260.0),
                    );
                    a11y(&r, egui::Role::TextInput, "Proxy user".into());
                    ui.end_row();
                    ui.label("Password");
                    let r = ui.add(
                        egui::TextEdit::singleline(&mut self.password)
                            .password(true)
                            .hint_text("kept in the keychain; empty keeps the saved one")
                            .desired_width(260.0),
                    );
                    a11y(&r, egui::Role::PasswordInput, "Proxy password".into());
                    ui.end_row();
                });
        }
        ui.label(
            RichText::new("This computer (the local sandbox) is always reached directly.").weak(),
        );
        self.error = self.choice().err();
    }
}

/// Advanced → "Trusted CA file": a path as typed (empty: the system's certificates alone).
pub struct CaForm {
    text: String,
}

impl CaForm {
    pub fn new(file: Option<&std::path::Path>) -> CaForm {
        CaForm {
            text: file.map(|p| p.display().to_string()).unwrap_or_default(),
        }
    }

    /// The field; the file it names (not read here: Save and Test connection read it).
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<std::path::PathBuf> {
        ui.horizontal_wrapped(|ui| {
            ui.label("CA certificate");
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.text)
                        .hint_text("none: the system's certificates")
                        .desired_width(260.0),
                )
                .on_hover_text(
                    "A certificate authority (PEM) trusted beside the system's, e.g. the one an \
                     office's HTTPS inspection uses; WIXUP_CA_FILE stands in for it",
                );
            a11y(&r, egui::Role::TextInput, "Trusted CA file".into());
        });
        let t = self.text.trim();
        (!t.is_empty()).then(|| std::path::PathBuf::from(t))
    }
}

/// "Limit upload speed" and its rate as typed ("2 MB/s").
pub struct LimitForm {
    on: bool,
    text: String,
    /// Why the text is no rate (Save waits until it is one).
    pub error: Option<String>,
}

impl LimitForm {
    pub fn new(rate: Option<u64>) -> LimitForm {
        LimitForm {
            on: rate.is_some(),
            text: rate.map_or_else(|| "2 MB/s".into(), |r| format!("{} KB/s", r.div_ceil(1000))),
            error: None,
        }
    }

    /// The checkbox and the rate; the limit the fields say.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<u64> {
        ui.horizontal_wrapped(|ui| {
            ui.checkbox(&mut self.on, "Limit upload speed")
                .on_hover_text("Leaves the rest of the connection free, e.g. for a video call");
            if self.on {
                let r = ui.add(
                    egui::TextEdit::singleline(&mut self.text)
                        .hint_text("2 MB/s")
                        .desired_width(90.0),
                );
                a11y(&r, egui::Role::TextInput, "Upload speed limit".into());
                ui.label(RichText::new("all uploads together, e.g. 2 MB/s or 500 KiB/s").weak());
            }
        });
        self.error = None;
        if !self.on {
            return None;
        }
        match crate::size::parse_rate(&self.text) {
            Ok(r) => Some(r),
            Err(e) => {
                self.error = Some(format!("Upload speed limit: {e}"));
                None
            }
        }
    }
}
