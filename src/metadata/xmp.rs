//! An XMP packet's location properties blanked in place: every `GPS…` property (EXIF's, CIPA's,
//! DJI's… in whatever prefix the packet binds it to, attribute or element form, nested
//! `rdf:Seq`/structures included), latitudes and longitudes, the place names Lightroom fills in
//! (Photoshop's city, state and country, IPTC's sublocation and country code) and IPTC's
//! `LocationCreated`/`LocationShown` structures are
//! overwritten with as many ASCII spaces, so the packet keeps its length, stays well-formed XML
//! and keeps every other property. quick-xml tokenizes the packet and resolves its namespaces;
//! the attributes of a tag are split here, since quick-xml gives no positions for them.

use quick_xml::events::Event;
use quick_xml::name::{QName, ResolveResult};
use quick_xml::reader::NsReader;

use super::Patch;

/// IPTC's extension namespace, whose location structures carry GPS coordinates too.
const IPTC_EXT: &str = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/";
const IPTC_LOCATIONS: [&str; 2] = ["LocationCreated", "LocationShown"];
/// Photoshop's place names (what Lightroom's address lookup writes from the GPS position).
const PHOTOSHOP: &str = "http://ns.adobe.com/photoshop/1.0/";
const PLACE_NAMES: [&str; 3] = ["City", "State", "Country"];
/// IPTC Core's sublocation and country code.
const IPTC_CORE: &str = "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/";
const IPTC_CORE_PLACES: [&str; 2] = ["Location", "CountryCode"];

const UNREADABLE: &str = "its XMP packet could not be read";

/// Patches, at offsets within `packet`, that blank its location properties (`exif:GPS…` and
/// the like) with same-length whitespace, leaving well-formed XML and the rest of the packet.
pub fn location_patches(packet: &[u8]) -> Result<Vec<Patch>, String> {
    if is_wide(packet) {
        return Err("its XMP packet is in UTF-16 or UTF-32, which cannot be edited".into());
    }
    let mut reader = NsReader::from_reader(packet);
    let mut spans: Vec<(usize, usize)> = Vec::new();
    // While inside a blanked element: its start and how deep we are in it.
    let mut blanking: Option<(usize, usize)> = None;
    let mut open = 0usize;
    loop {
        let before = usize::try_from(reader.buffer_position()).map_err(|_| UNREADABLE)?;
        let (ns, event) = reader.read_resolved_event().map_err(|_| UNREADABLE)?;
        let target = is_location(&ns, &event);
        let after = usize::try_from(reader.buffer_position()).map_err(|_| UNREADABLE)?;
        match event {
            Event::Start(_) | Event::Empty(_) => {
                let tag = packet.get(before..after).ok_or(UNREADABLE)?;
                if tag.first() != Some(&b'<') || tag.last() != Some(&b'>') {
                    return Err(UNREADABLE.into());
                }
                let empty = matches!(event, Event::Empty(_));
                match blanking.as_mut() {
                    Some((_, depth)) if !empty => *depth += 1,
                    Some(_) => {}
                    None if target && empty => spans.push((before, after)),
                    None if target => blanking = Some((before, 1)),
                    None => {
                        for (at, name_end, end) in attributes(tag)? {
                            let name =
                                std::str::from_utf8(&tag[at..name_end]).map_err(|_| UNREADABLE)?;
                            // A namespace declaration is no property (and blanking one
                            // would leave its prefix unbound).
                            if name == "xmlns" || name.starts_with("xmlns:") {
                                continue;
                            }
                            let name = QName(name);
                            let (ans, local) = reader.resolver().resolve_attribute(name);
                            if is_location_name(&ans, local.as_ref()) {
                                spans.push((before + at, before + end));
                            }
                        }
                    }
                }
                if !empty {
                    open += 1;
                }
            }
            Event::End(_) => {
                open = open.checked_sub(1).ok_or(UNREADABLE)?;
                if let Some((start, depth)) = blanking.as_mut() {
                    *depth -= 1;
                    if *depth == 0 {
                        spans.push((*start, after));
                        blanking = None;
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if open != 0 || blanking.is_some() {
        return Err(UNREADABLE.into());
    }
    Ok(spans
        .into_iter()
        .map(|(at, end)| Patch::new(at as u64, vec![b' '; end - at]))
        .collect())
}

/// Whether the packet is in a wide encoding (a BOM, or `<` followed or preceded by a zero byte).
fn is_wide(packet: &[u8]) -> bool {
    matches!(
        packet,
        [0xFE, 0xFF, ..] | [0xFF, 0xFE, ..] | [0, 0, 0xFE, 0xFF, ..]
    ) || matches!(packet, [b'<', 0, ..] | [0, b'<', ..] | [0, 0, 0, b'<', ..])
}

fn is_location(ns: &ResolveResult<'_>, event: &Event<'_>) -> bool {
    match event {
        Event::Start(e) | Event::Empty(e) => is_location_name(ns, e.local_name().as_ref()),
        _ => false,
    }
}

/// A location property: a `GPS…` one of any namespace (EXIF's, CIPA's, DJI's `drone-dji:GpsLatitude`
/// and its kin), one named for a latitude or longitude, IPTC's location structures, and the
/// place names Lightroom and Photoshop fill in from the position (city, state, country, the
/// sublocation).
fn is_location_name(ns: &ResolveResult<'_>, local: &str) -> bool {
    let ResolveResult::Bound(ns) = ns else {
        return false;
    };
    let ns = ns.as_ref();
    let lower = local.to_ascii_lowercase();
    lower.starts_with("gps")
        || lower.contains("latitude")
        || lower.contains("longitude")
        || lower.contains("longtitude") // DJI's spelling
        || (ns == IPTC_EXT && IPTC_LOCATIONS.contains(&local))
        || (ns == PHOTOSHOP && PLACE_NAMES.contains(&local))
        || (ns == IPTC_CORE && IPTC_CORE_PLACES.contains(&local))
}

/// The spans (`name = "value"`: its start, the name's end and its end, offsets within `tag`) of
/// the attributes of a start or empty
/// tag (`<name …>` or `<name …/>`).
fn attributes(tag: &[u8]) -> Result<Vec<(usize, usize, usize)>, String> {
    let inner_end = tag.len() - if tag.ends_with(b"/>") { 2 } else { 1 };
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let mut i = 1;
    while i < inner_end && !is_space(tag[i]) {
        i += 1;
    }
    let mut out = Vec::new();
    loop {
        while i < inner_end && is_space(tag[i]) {
            i += 1;
        }
        if i >= inner_end {
            return Ok(out);
        }
        let start = i;
        while i < inner_end && tag[i] != b'=' && !is_space(tag[i]) {
            i += 1;
        }
        let name_end = i;
        while i < inner_end && is_space(tag[i]) {
            i += 1;
        }
        if tag.get(i) != Some(&b'=') || name_end == start {
            return Err(UNREADABLE.into());
        }
        i += 1;
        while i < inner_end && is_space(tag[i]) {
            i += 1;
        }
        let quote = *tag
            .get(i)
            .filter(|&&q| q == b'"' || q == b'\'')
            .ok_or(UNREADABLE)?;
        let close = tag[i + 1..inner_end]
            .iter()
            .position(|&b| b == quote)
            .ok_or(UNREADABLE)?;
        i += close + 2;
        out.push((start, name_end, i));
    }
}

#[cfg(test)]
mod tests;
