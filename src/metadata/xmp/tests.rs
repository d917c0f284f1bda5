use quick_xml::events::Event;
use quick_xml::reader::Reader;

use super::location_patches;
use crate::metadata::testing::{self, s};
use crate::metadata::{Patch, Redactions};

fn patched(bytes: &[u8], patches: Vec<Patch>) -> Vec<u8> {
    let mut out = bytes.to_vec();
    Redactions::new(patches, bytes.len() as u64)
        .expect("patches within the packet")
        .apply(0, &mut out);
    out
}

/// The packet with its location blanked; checks it kept its length and parses to its end.
fn blanked(packet: &str) -> String {
    let patches = location_patches(packet.as_bytes()).expect("the packet reads");
    let out = patched(packet.as_bytes(), patches);
    assert_eq!(out.len(), packet.len());
    let mut reader = Reader::from_reader(&out[..]);
    let mut depth = 0i32;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(Event::Start(_)) => depth += 1,
            Ok(Event::End(_)) => depth -= 1,
            Ok(_) => {}
            Err(e) => panic!(
                "not well-formed after blanking: {e}\n{}",
                String::from_utf8_lossy(&out)
            ),
        }
    }
    assert_eq!(depth, 0);
    String::from_utf8(out).expect("still UTF-8")
}

const HEAD: &str = "<?xpacket begin='\u{feff}' id='W5M0MpCehiHzreSzNTczkc9d'?>\n<x:xmpmeta xmlns:x='adobe:ns:meta/'>\n<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>\n";
const TAIL: &str = "</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end='w'?>";

fn packet(body: &str) -> String {
    format!("{HEAD}{body}{TAIL}")
}

#[test]
fn gps_attributes_go_and_the_others_stay() {
    let p = packet(
        "<rdf:Description rdf:about='' xmlns:exif='http://ns.adobe.com/exif/1.0/'\n xmlns:tiff='http://ns.adobe.com/tiff/1.0/'\n exif:GPSLatitude='51,30.0N' tiff:Make=\"Can>on\"\n exif:GPSLongitude = \"0,7.2W\" exif:ExposureTime='1/50'/>\n",
    );
    let out = blanked(&p);
    assert!(
        !out.contains("GPS") && !out.contains("51,30") && !out.contains("7.2W"),
        "{out}"
    );
    for kept in [
        "tiff:Make=\"Can>on\"",
        "exif:ExposureTime='1/50'",
        "xmlns:exif=",
    ] {
        assert!(out.contains(kept), "{kept} went: {out}");
    }
}

#[test]
fn gps_elements_go_with_their_content_in_any_form() {
    let p = packet(concat!(
        "<rdf:Description rdf:about='' xmlns:exif='http://ns.adobe.com/exif/1.0/' xmlns:dc='http://purl.org/dc/elements/1.1/'>\n",
        " <exif:GPSLatitude>51,30.0N</exif:GPSLatitude>\n",
        " <exif:GPSVersionID><rdf:Seq><rdf:li>2</rdf:li><rdf:li>3</rdf:li></rdf:Seq></exif:GPSVersionID>\n",
        " <exif:GPSAltitude rdf:resource='12/1'/>\n",
        " <exif:GPSDestBearing\n/>\n",
        " <exif:ExposureTime>1/50</exif:ExposureTime>\n",
        " <dc:title><rdf:Alt><rdf:li xml:lang='x-default'>Tower</rdf:li></rdf:Alt></dc:title>\n",
        "</rdf:Description>\n",
    ));
    let out = blanked(&p);
    assert!(
        !out.contains("GPS") && !out.contains("51,30") && !out.contains("12/1"),
        "{out}"
    );
    assert!(
        out.contains("<rdf:li xml:lang='x-default'>Tower</rdf:li>"),
        "{out}"
    );
    assert!(
        out.contains("<exif:ExposureTime>1/50</exif:ExposureTime>"),
        "{out}"
    );
}

/// A `GPS…` property is a location whatever namespace holds it and whatever prefix names it
/// (a vendor's own namespace, a default namespace, a prefix rebound on the way). Before, only
/// EXIF's counted, and a vendor's GPS went to the site.
#[test]
fn a_gps_property_goes_whatever_its_namespace_or_prefix() {
    let p = packet(concat!(
        "<rdf:Description rdf:about='' xmlns:e='http://ns.adobe.com/exif/1.0/' xmlns:exif='urn:not-exif'\n",
        " e:GPSLatitude='1' exif:GPSLatitude='vendor' e:FNumber='2.8'>\n",
        " <GPSLongitude xmlns='http://ns.adobe.com/exif/1.0/'>2</GPSLongitude>\n",
        " <exif:GPSAltitude>vendor too</exif:GPSAltitude>\n",
        " <e:GPSTrack xmlns:e='urn:other'>vendor three</e:GPSTrack>\n",
        " <e:GPSSpeed>3</e:GPSSpeed>\n",
        "</rdf:Description>\n",
    ));
    let out = blanked(&p);
    for gone in ["GPS", ">2<", ">3<", "vendor"] {
        assert!(!out.contains(gone), "{gone} stayed: {out}");
    }
    assert!(out.contains("e:FNumber='2.8'"), "{out}");
}

#[test]
fn iptc_location_structures_go_whole() {
    let p = packet(concat!(
        "<rdf:Description rdf:about='' xmlns:Iptc4xmpExt='http://iptc.org/std/Iptc4xmpExt/2008-02-29/'\n",
        "  xmlns:exif='http://ns.adobe.com/exif/1.0/'>\n",
        " <Iptc4xmpExt:LocationCreated><rdf:Bag><rdf:li rdf:parseType='Resource'>\n",
        "  <Iptc4xmpExt:City>London</Iptc4xmpExt:City></rdf:li></rdf:Bag></Iptc4xmpExt:LocationCreated>\n",
        " <Iptc4xmpExt:LocationShown><rdf:Bag><rdf:li exif:GPSLatitude='1,30.0N'\n",
        "   Iptc4xmpExt:City='Paris'/></rdf:Bag></Iptc4xmpExt:LocationShown>\n",
        " <Iptc4xmpExt:PersonInImage><rdf:Bag><rdf:li>Ann</rdf:li></rdf:Bag></Iptc4xmpExt:PersonInImage>\n",
        "</rdf:Description>\n",
    ));
    let out = blanked(&p);
    for gone in ["London", "Paris", "GPS", "Location"] {
        assert!(!out.contains(gone), "{gone} stayed: {out}");
    }
    assert!(out.contains("<rdf:li>Ann</rdf:li>"), "{out}");
}

#[test]
fn a_packet_without_a_location_is_left_alone() {
    let p = packet("<rdf:Description rdf:about='' xmlns:GPS='urn:x' GPS:Altitude='1'/>\n");
    assert_eq!(location_patches(p.as_bytes()), Ok(vec![]));
}

#[test]
fn unreadable_and_wide_packets_are_refused() {
    let unreadable = "its XMP packet could not be read";
    for bad in [
        packet(
            "<rdf:Description xmlns:exif='http://ns.adobe.com/exif/1.0/'><exif:GPSLatitude>1</rdf:Description>\n",
        ),
        packet(
            "<rdf:Description xmlns:exif='http://ns.adobe.com/exif/1.0/' exif:GPSLatitude='1/>\n",
        ),
        packet("<rdf:Description xmlns:exif='http://ns.adobe.com/exif/1.0/' exif:GPSLatitude>\n"),
        HEAD.to_string(),
        format!("{HEAD}<rdf:Description/>"),
    ] {
        assert_eq!(
            location_patches(bad.as_bytes()),
            Err(unreadable.into()),
            "{bad}"
        );
    }
    let wide: Vec<u8> = packet("")
        .encode_utf16()
        .flat_map(|u| u.to_be_bytes())
        .collect();
    let err = location_patches(&[&[0xFE, 0xFF][..], &wide].concat()).unwrap_err();
    assert!(err.contains("UTF-16"), "{err}");
    assert!(location_patches(&wide).unwrap_err().contains("UTF-16"));
}

/// Packets exiftool writes, in element form and in attribute (shorthand) form: after blanking,
/// exiftool reads no location and every other property unchanged.
#[test]
fn packets_exiftool_writes_lose_only_their_location() {
    if !(testing::tool("convert") & testing::tool("exiftool")) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    for (i, compact) in ["Compact=None", "Compact=Shorthand"].iter().enumerate() {
        let jpg = dir.path().join(format!("f{i}.jpg"));
        testing::run("convert", &["-size", "16x16", "gradient:", s(&jpg)]);
        testing::run(
            "exiftool",
            &[
                "-q",
                "-overwrite_original",
                "-api",
                compact,
                "-XMP-exif:GPSLatitude=51.5",
                "-XMP-exif:GPSLongitude=-0.12",
                "-XMP-exif:GPSAltitude=12",
                "-XMP-exif:ExposureTime=1/50",
                "-XMP-dc:Title=Tower",
                "-XMP-tiff:Make=Canon",
                "-XMP-iptcExt:LocationCreatedCity=London",
                "-XMP-iptcExt:LocationShownGPSLatitude=1.5",
                "-XMP-iptcExt:PersonInImage=Ann",
                s(&jpg),
            ],
        );
        let xmp = testing::run("exiftool", &["-xmp", "-b", s(&jpg)]);
        let before_path = dir.path().join(format!("before{i}.xmp"));
        std::fs::write(&before_path, &xmp).expect("write");
        let mut before = testing::tags(&before_path);
        let out = blanked(std::str::from_utf8(&xmp).expect("utf-8"));
        let after_path = dir.path().join(format!("after{i}.xmp"));
        std::fs::write(&after_path, out).expect("write");
        let after = testing::tags(&after_path);
        for tag in [
            "XMP-dc:Title",
            "XMP-tiff:Make",
            "XMP-exif:ExposureTime",
            "XMP-iptcExt:PersonInImage",
            "XMP-iptcExt:LocationCreatedCity",
        ] {
            assert!(before.contains_key(tag), "{tag} in {before:#?}");
        }
        let places: Vec<_> = after.keys().filter(|k| k.contains("Location")).collect();
        assert!(places.is_empty(), "IPTC locations left: {places:?}");
        before.retain(|k, _| !k.contains("Location"));
        testing::assert_only_location_gone(&before, &after);
    }
}

/// A DJI drone's position (its own namespace, its own spelling) and the place names Lightroom
/// fills in from the GPS go too; the drone's other properties and the title stay. Before, only
/// EXIF's `GPS…` went, and a drone photo reached the site with its position.
#[test]
fn drone_positions_and_place_names_go_too() {
    let p = packet(
        "<rdf:Description rdf:about='' xmlns:drone-dji='http://www.dji.com/drone-dji/1.0/'\n xmlns:photoshop='http://ns.adobe.com/photoshop/1.0/'\n xmlns:Iptc4xmpCore='http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/'\n xmlns:dc='http://purl.org/dc/elements/1.1/'\n drone-dji:GpsLatitude='+48.858400' drone-dji:GpsLongtitude='+2.294500'\n drone-dji:FlightYawDegree='+12.30' photoshop:City='Paris' photoshop:Country='France'\n Iptc4xmpCore:Location='Champ de Mars'>\n<dc:title><rdf:Alt><rdf:li xml:lang='x-default'>Tower</rdf:li></rdf:Alt></dc:title>\n<photoshop:State>IDF</photoshop:State>\n</rdf:Description>\n",
    );
    let out = blanked(&p);
    for gone in [
        "48.8584",
        "2.2945",
        "Paris",
        "France",
        "Champ de Mars",
        "IDF",
        "Gps",
    ] {
        assert!(!out.contains(gone), "{gone} stayed: {out}");
    }
    for kept in ["drone-dji:FlightYawDegree='+12.30'", ">Tower<"] {
        assert!(out.contains(kept), "{kept} went: {out}");
    }
}
