//! What a file is and what its metadata says, from its bytes: never from its name.
//!
//! ```text
//! sniff        the container a file's first bytes start (JPEG, PNG, WebP…)
//! exif_block   walking a container's own structure to find its EXIF block
//! location     a photo's GPS tags removed (little_exif), read back, the pixels compared
//! ```
//!
//! Pure functions over bytes (a head read from disk is the only I/O); the engine decides when
//! to use them and where the result goes (`engine/run/stage.rs`).

pub mod exif_block;
pub mod location;
pub mod sniff;

pub use location::{gps_tag_count, strip_gps};
pub use sniff::{HEAD_BYTES, Kind, read_head, sniff};
