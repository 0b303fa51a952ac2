//! The MAT v5 format, as both sides of the kit see it: the numbers of its data types
//! and array classes, the header's byte order, and the framing of its data elements
//! (tag, size, padding), which the writer ([`mat`](super::mat)), the reader
//! ([`read`](super::read)) and the explanation of an unreadable file
//! ([`diagnose`](super::diagnose)) share.

// Data types of MAT v5 data elements (the `mi*` constants of the format).
pub(crate) const MI_INT8: u32 = 1;
pub(crate) const MI_INT32: u32 = 5;
pub(crate) const MI_UINT32: u32 = 6;
pub(crate) const MI_DOUBLE: u32 = 9;
pub(crate) const MI_MATRIX: u32 = 14;
pub(crate) const MI_COMPRESSED: u32 = 15;

// Array classes (the `mx*_CLASS` constants).
pub(crate) const MX_DOUBLE_CLASS: u32 = 6;
pub(crate) const MX_INT32_CLASS: u32 = 12;

/// The 116-byte descriptive text at the start of every file this kit writes
/// (padded with spaces). No date, so that the bytes are reproducible.
pub(crate) const HEADER_TEXT: &str =
    "MATLAB 5.0 MAT-file, written by nn-core (Rust); no timestamp so that files are reproducible";

/// HDF5's signature: a MATLAB v7.3 file carries it at byte 512 (after a
/// 512-byte user block that holds the MAT header), a plain HDF5 file at byte 0.
pub(crate) const HDF5_SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// MATLAB's `namelengthmax`.
pub(crate) const MAX_NAME_LEN: usize = 63;

/// The variable [`Dataset::save`] adds when K is not the course's 10.
pub(crate) const NUM_LABELS_VAR: &str = "num_labels";

/// How to re-save a file in the format this kit reads.
pub(crate) const RESAVE_HINT: &str = "re-save it as a v7 MAT file: in MATLAB or Octave `save -v7 file.mat X y` \
     (or `save -v7 file.mat Theta1 Theta2`), in Python `scipy.io.savemat('file.mat', {...})`";

/// Whether the 128-byte header says "little endian" (`IM`) or big (`MI`).
pub(crate) fn endianness(bytes: &[u8]) -> Option<bool> {
    match bytes.get(126..128) {
        Some(b"IM") => Some(true),
        Some(b"MI") => Some(false),
        _ => None,
    }
}

pub(crate) fn read_u32(bytes: &[u8], at: usize, little: bool) -> Option<u32> {
    let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
    Some(if little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
}

/// One top-level data element: its type and where its data starts and ends.
pub(crate) struct Element {
    pub(crate) data_type: u32,
    pub(crate) data_start: usize,
    /// End of the data (may lie past the end of the file when truncated).
    pub(crate) end: usize,
    /// Where the next element starts (after padding).
    pub(crate) next: usize,
}

pub(crate) fn element_at(bytes: &[u8], at: usize, little: bool) -> Option<Element> {
    let first = read_u32(bytes, at, little)?;
    if first >> 16 != 0 {
        // Small data element: type and size packed into 4 bytes, 4 data bytes.
        let data_type = first & 0xffff;
        let size = (first >> 16) as usize;
        return Some(Element { data_type, data_start: at + 4, end: at + 4 + size.min(4), next: at + 8 });
    }
    let size = read_u32(bytes, at + 4, little)? as usize;
    let data_start = at + 8;
    let end = data_start + size;
    let next = if first == MI_COMPRESSED { end } else { data_start + size.div_ceil(8) * 8 };
    Some(Element { data_type: first, data_start, end, next })
}

/// The class and name of a `miMATRIX` element's body (uncompressed).
pub(crate) fn matrix_header(body: &[u8], little: bool) -> Option<(u32, String)> {
    // Flags subelement: tag (8) + flags/class (4) + nzmax (4).
    let flags = read_u32(body, 8, little)?;
    let class = flags & 0xff;
    let dims = element_at(body, 16, little)?;
    let name_el = element_at(body, dims.next, little)?;
    let name = body.get(name_el.data_start..name_el.end)?;
    Some((class, String::from_utf8_lossy(name).into_owned()))
}

pub(crate) fn class_name(class: u32) -> &'static str {
    match class {
        1 => "cell",
        2 => "struct",
        3 => "object",
        4 => "char",
        5 => "sparse",
        6 => "double",
        7 => "single",
        8 => "int8",
        9 => "uint8",
        10 => "int16",
        11 => "uint16",
        12 => "int32",
        13 => "uint32",
        14 => "int64",
        15 => "uint64",
        16 => "function handle",
        17 => "object",
        _ => "unknown class",
    }
}
