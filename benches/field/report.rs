//! What the field benchmark prints: per work, each contender's median wall time and what it
//! cost; then the ratios the targets of issue 11 are stated in, and a summary table.

use super::contenders::{Contender, Sample};
use super::{Samples, Work};

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn med(s: &[Sample], f: impl Fn(&Sample) -> f64) -> f64 {
    median(s.iter().map(f).collect())
}

fn of(samples: &Samples, c: Contender) -> &[Sample] {
    samples
        .iter()
        .find(|(k, _)| *k == c)
        .map(|(_, v)| v.as_slice())
        .unwrap_or(&[])
}

/// Median over rounds of a/b, each round's pair measured seconds apart.
fn paired(samples: &Samples, a: Contender, b: Contender) -> f64 {
    let (x, y) = (of(samples, a), of(samples, b));
    median(x.iter().zip(y).map(|(x, y)| x.secs / y.secs).collect())
}

pub fn work(w: &Work, samples: &Samples) {
    let link = w.link_secs();
    let n = w.files as f64;
    println!();
    println!(
        "({}) {} file(s) of {} bytes, RTT {} ms, {:.0} Mbit/s up; link's own time {:.2} s; {} round(s)",
        w.name,
        w.files,
        w.size,
        w.link.rtt().as_millis(),
        w.link.up_rate * 8.0 / 1e6,
        link,
        of(samples, Contender::Wixup).len()
    );
    println!(
        "| contender | median wall s | link utilization | uplink idle s | requests/file | REST/file | PATCH/file | finalize/file | tus creations/file | one-PUTs/file | 429s | connections | uplink bytes/payload | client CPU-s | peak RSS MiB | link CPU-s |"
    );
    println!(
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    );
    for (c, s) in samples {
        let wall = med(s, |x| x.secs);
        let per = |i: usize| med(s, |x| x.requests[i] as f64) / n;
        // While the command ran, the time no byte of it crossed the uplink: the wall time less
        // the time its bytes (payload, headers, handshakes) took at the link's rate.
        let idle = med(s, |x| x.secs - x.link[1] as f64 / w.link.up_rate);
        // Every request the server saw: REST, PATCH, finalize, tus creation, one-PUT.
        let requests = (0..5).map(per).sum::<f64>();
        println!(
            "| {} | {wall:.2} | {:.0} % | {idle:.2} | {requests:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0} | {:.0} | {:.4} | {:.2} | {:.1} | {:.2} |",
            c.label(),
            100.0 * link / wall,
            per(0),
            per(1),
            per(2),
            per(3),
            per(4),
            per(5) * n,
            med(s, |x| x.link[0] as f64),
            med(s, |x| x.link[1] as f64) / w.bytes() as f64,
            med(s, |x| x.cpu_secs),
            med(s, |x| x.rss_kib as f64 / 1024.0),
            med(s, |x| x.link_cpu),
        );
    }
    let wall = |c| med(of(samples, c), |x| x.secs);
    let wx = wall(Contender::Wixup);
    if let Some((calls, per)) = w.rate_limit {
        let made = med(of(samples, Contender::Wixup), |x| x.requests[0] as f64) as u64;
        let least = w.least_rest_calls();
        let (t_made, t_least) = (
            w.limit_secs(made).unwrap_or(f64::NAN),
            w.limit_secs(least).unwrap_or(f64::NAN),
        );
        println!(
            "rate limit {calls} calls / {per} s: wixup made {made} REST calls (the limit lets the last through at {t_made:.0} s); the fewest this work needs is {least} ({t_least:.0} s); wixup took {wx:.1} s = {:.2}x the limit's time for the fewest calls",
            wx / t_least.max(1.0)
        );
    }
    let written = med(of(samples, Contender::Wixup), |x| x.fs_written as f64);
    println!(
        "wixup wrote {:.0} bytes to its data dir's file system (median, ru_oublock x 512, page-granular), {:.0} per file",
        written,
        written / n
    );
    if !of(samples, Contender::WixupH1).is_empty() {
        let (h1, h2) = (wall(Contender::WixupH1), wall(Contender::WixupH2));
        println!(
            "over TLS: wixup (auto: HTTP/2 for the API, HTTP/1.1 for the bytes) / link = {:.2}x; --http 1.1 / link = {:.2}x; --http 2 / link = {:.2}x; HTTP/2 / HTTP/1.1 = {:.2}x (per round {:.2}x); auto / HTTP/1.1 = {:.2}x (per round {:.2}x)",
            wx / link,
            h1 / link,
            h2 / link,
            h2 / h1,
            paired(samples, Contender::WixupH2, Contender::WixupH1),
            wx / h1,
            paired(samples, Contender::Wixup, Contender::WixupH1),
        );
        return;
    }
    if of(samples, Contender::TusJs).is_empty() {
        println!("wixup / link = {:.2}x", wx / link);
        return;
    }
    let (js, raw) = (wall(Contender::TusJs), wall(Contender::RawPatch));
    println!(
        "wixup / link = {:.2}x; wixup / tus-js-client flow = {:.2}x (per round {:.2}x); wixup / raw PATCH = {:.2}x (per round {:.2}x); raw PATCH reaches {:.0} % of the link",
        wx / link,
        wx / js,
        paired(samples, Contender::Wixup, Contender::TusJs),
        wx / raw,
        paired(samples, Contender::Wixup, Contender::RawPatch),
        100.0 * link / raw,
    );
    let patch = med(of(samples, Contender::RawPatch), |x| {
        x.patch_secs.unwrap_or(f64::NAN)
    });
    println!(
        "the raw PATCH request alone (new connection included) took {patch:.2} s: {:.1} % of the link's rate",
        100.0 * link / patch
    );
}

/// One table over every work, as the note wants it.
pub fn summary(results: &[(Work, Samples)]) {
    if results
        .iter()
        .any(|(_, s)| !of(s, Contender::WixupH1).is_empty())
    {
        return tls_summary(results);
    }
    println!();
    println!(
        "| work | link | link's own time s | raw PATCH s | wixup s | tus-js-client flow s | wixup / link | wixup / tus-js | wixup / raw | wixup journal bytes/file |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (w, samples) in results {
        let wall = |c| med(of(samples, c), |x| x.secs);
        let (wx, js, raw) = (
            wall(Contender::Wixup),
            wall(Contender::TusJs),
            wall(Contender::RawPatch),
        );
        let link = w.link_secs();
        println!(
            "| ({}) {} × {} B | {} ms / {:.0} Mbit/s | {link:.2} | {raw:.2} | {wx:.2} | {js:.2} | {:.2}x | {:.2}x | {:.2}x | {:.0} |",
            w.name,
            w.files,
            w.size,
            w.link.rtt().as_millis(),
            w.link.up_rate * 8.0 / 1e6,
            wx / link,
            wx / js,
            wx / raw,
            med(of(samples, Contender::Wixup), |x| x.fs_written as f64) / w.files as f64,
        );
    }
}

/// Over TLS: Wixup's default beside HTTP/1.1 and HTTP/2 for everything, per work.
fn tls_summary(results: &[(Work, Samples)]) {
    println!();
    println!(
        "| work over TLS | link | link's own time s | auto s | HTTP/1.1 s | HTTP/2 s | auto / link | HTTP/1.1 / link | HTTP/2 / link | HTTP/2 / HTTP/1.1 |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (w, samples) in results {
        let wall = |c| med(of(samples, c), |x| x.secs);
        let (auto, h1, h2) = (
            wall(Contender::Wixup),
            wall(Contender::WixupH1),
            wall(Contender::WixupH2),
        );
        let link = w.link_secs();
        println!(
            "| ({}) {} × {} B | {} ms / {:.0} Mbit/s | {link:.2} | {auto:.2} | {h1:.2} | {h2:.2} | {:.2}x | {:.2}x | {:.2}x | {:.2}x |",
            w.name,
            w.files,
            w.size,
            w.link.rtt().as_millis(),
            w.link.up_rate * 8.0 / 1e6,
            auto / link,
            h1 / link,
            h2 / link,
            paired(samples, Contender::WixupH2, Contender::WixupH1),
        );
    }
}
