//! Why a file is not a MAT file this kit can read, in words a student can act on:
//! a text file, a MATLAB v7.3 (HDF5) file, an unsupported version, a truncated header
//! or a variable cut off in the middle — everything visible without decoding a variable.

use std::io::Read;

use flate2::read::ZlibDecoder;

use super::format::{
    element_at, endianness, matrix_header, read_u32, Element, HDF5_SIGNATURE, MI_COMPRESSED, MI_MATRIX, RESAVE_HINT,
};

/// A short printable preview of the first bytes, for "not a MAT file" messages.
pub(crate) fn preview(bytes: &[u8]) -> String {
    let head: String =
        bytes.iter().take(24).map(|&b| if (0x20..0x7f).contains(&b) { b as char } else { '.' }).collect();
    format!("{head:?}")
}

fn looks_like_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(512)];
    !head.is_empty()
        && head.iter().all(|&b| b == b'\n' || b == b'\r' || b == b'\t' || (0x20..0x7f).contains(&b) || b >= 0x80)
}

/// A problem visible without decoding any variable: not a MAT file at all, a
/// MATLAB v7.3 (HDF5) file, an unsupported version, a truncated header, or a
/// truncated file (a top-level element that runs past the end — a lenient reader
/// would silently drop such a variable and report it missing).
pub(crate) fn header_problem(bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() {
        return Some("the file is empty (0 bytes); it was probably not saved completely".into());
    }
    let is_v73 = bytes.starts_with(b"MATLAB 7.3")
        || bytes.get(512..520) == Some(&HDF5_SIGNATURE[..])
        || bytes.starts_with(HDF5_SIGNATURE);
    if is_v73 {
        return Some(format!("it is a MATLAB v7.3 file (HDF5 format), which this kit cannot read; {RESAVE_HINT}"));
    }
    if bytes.starts_with(b"# Created by Octave") {
        return Some(format!(
            "it is an Octave text file (Octave's default `save` format), not a binary MAT file; {RESAVE_HINT}"
        ));
    }
    if bytes.len() < 128 {
        if bytes.starts_with(b"MATLAB") {
            return Some(format!(
                "the file is truncated: it is only {} bytes, shorter than the 128-byte MAT header; copy or save it again",
                bytes.len()
            ));
        }
        return Some(format!(
            "it is only {} bytes and does not start with a MAT header (it starts with {}); a MAT file starts with a 128-byte header such as \"MATLAB 5.0 MAT-file\"",
            bytes.len(),
            preview(bytes)
        ));
    }
    let Some(little) = endianness(bytes) else {
        let what = if looks_like_text(bytes) {
            "it looks like a text file"
        } else if bytes[..4].contains(&0) {
            "it may be a MATLAB v4 file or another binary format"
        } else {
            "it is some other format"
        };
        return Some(format!("it has no MAT v5 header ({what}; it starts with {}); {RESAVE_HINT}", preview(bytes)));
    };
    let version = {
        let b = [bytes[124], bytes[125]];
        if little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        }
    };
    if version == 0x0200 {
        return Some(format!("it is a MATLAB v7.3 file (HDF5 format), which this kit cannot read; {RESAVE_HINT}"));
    }
    if version != 0x0100 {
        return Some(format!(
            "its header gives MAT version 0x{version:04x}, not the v5/v7 format (0x0100); {RESAVE_HINT}"
        ));
    }
    if bytes[..4].contains(&0) {
        return Some(format!(
            "its header text starts with zero bytes ({}), which MAT v5 forbids; {RESAVE_HINT}",
            preview(bytes)
        ));
    }
    // Element framing: every top-level element must fit in the file.
    let mut at = 128;
    let mut index = 0;
    while at < bytes.len() {
        index += 1;
        let Some(el) = element_at(bytes, at, little) else {
            return Some(format!(
                "the file is truncated: it ends {} bytes into the tag of element {index} (at byte {at}); copy or save it again",
                bytes.len() - at
            ));
        };
        if bytes[at..].iter().all(|&b| b == 0) {
            break; // zero padding at the end: nothing more to read
        }
        let small_size = read_u32(bytes, at, little).map_or(0, |first| first >> 16);
        if !is_data_type(el.data_type) || small_size > 4 {
            let what = if small_size > 4 {
                format!("a small element cannot hold {small_size} bytes")
            } else {
                format!("data type {} is not one of the MAT format's", el.data_type)
            };
            return Some(format!(
                "the tag of element {index} (at byte {at}) is corrupt: {what}; the file is damaged or was not \
                 written by MATLAB, Octave or scipy — copy it again, or {RESAVE_HINT}"
            ));
        }
        if el.end > bytes.len() {
            let name = peek_name(bytes, &el, little)
                .map(|n| format!("variable `{n}`"))
                .unwrap_or_else(|| format!("element {index}"));
            return Some(format!(
                "the file is truncated: {name} (at byte {at}) needs {} bytes but the file ends after {}; \
                 it was probably cut off while copying or saving — copy or save it again",
                el.end - el.data_start,
                bytes.len() - el.data_start
            ));
        }
        at = el.next;
    }
    None
}

/// The variable name of a (possibly truncated) element, if it can be read.
fn peek_name(bytes: &[u8], el: &Element, little: bool) -> Option<String> {
    let avail = &bytes[el.data_start.min(bytes.len())..el.end.min(bytes.len())];
    let body = match el.data_type {
        MI_MATRIX => avail.to_vec(),
        MI_COMPRESSED => {
            // Inflate only the first bytes: enough for the flags, dims and name.
            let mut out = Vec::new();
            let _ = ZlibDecoder::new(avail).take(8 + 256).read_to_end(&mut out);
            let inner = element_at(&out, 0, little)?;
            if inner.data_type != MI_MATRIX {
                return None;
            }
            out.get(8..)?.to_vec()
        }
        _ => return None,
    };
    matrix_header(&body, little).map(|(_, name)| name.trim_end_matches('\0').to_string()).filter(|n| !n.is_empty())
}

/// The data types of MAT v5 (`miINT8` 1 .. `miUTF32` 18; 8, 10 and 11 are reserved).
fn is_data_type(t: u32) -> bool {
    matches!(t, 1..=7 | 9 | 12..=18)
}
