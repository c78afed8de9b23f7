//! numpy's `.npy` and `.npz` formats, read with every size checked before it is allocated.
//!
//! The header (a Python dict literal, parsed by the maintained `py_literal` crate) declares the
//! dtype, the order and the shape. Before anything is allocated the reader checks that the
//! declared header fits in the file, that the declared shape times the item size is exactly the
//! bytes that follow (fewer: truncated; more: trailing data), and that the values as `f64` fit
//! within the memory limit ([`crate::limits`]). An `.npz` entry's declared decompressed size is
//! checked the same way before it is inflated, and the inflated bytes must match it. Each
//! failure says which of these it is.
//!
//! Read: little- and big-endian float16/32/64, signed and unsigned integers of 1–8 bytes, C and
//! Fortran order. Refused with their name: bool, complex, object, string and structured dtypes.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use ndarray::{ArrayD, IxDyn, ShapeBuilder};

use crate::error::{data_err, io_err, Result};
use crate::limits;

const MAGIC: &[u8] = b"\x93NUMPY";

/// A numeric dtype of the `.npy` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dtype {
    /// `f` (float), `i` (signed) or `u` (unsigned).
    pub kind: char,
    /// Bytes per item.
    pub size: usize,
    /// Big-endian.
    pub big_endian: bool,
}

impl Dtype {
    /// Parse a `descr` such as `<f4`, `|u1`, `>i8`.
    ///
    /// # Errors
    /// A dtype this reader does not take, named with what to do instead.
    pub fn parse(descr: &str) -> std::result::Result<Self, String> {
        let mut chars = descr.chars();
        let (order, rest) = match chars.next() {
            Some(c @ ('<' | '>' | '|' | '=')) => (c, chars.as_str()),
            _ => ('=', descr),
        };
        let kind = rest.chars().next().unwrap_or(' ');
        let size: Option<usize> = rest.get(1..).and_then(|s| s.parse().ok());
        let name = match kind {
            'b' | '?' => Some("bool"),
            'c' => Some("complex"),
            'O' => Some("object"),
            'U' | 'S' | 'a' => Some("string"),
            'M' | 'm' => Some("datetime"),
            'V' => Some("void/structured"),
            _ => None,
        };
        if let Some(n) = name {
            return Err(format!(
                "dtype {descr} ({n}) is not read: save a float16/32/64 or integer array"
            ));
        }
        let ok = match (kind, size) {
            ('f', Some(s)) => [2, 4, 8].contains(&s),
            ('i' | 'u', Some(s)) => [1, 2, 4, 8].contains(&s),
            _ => false,
        };
        match (ok, size) {
            (true, Some(size)) => Ok(Self {
                kind,
                size,
                big_endian: order == '>',
            }),
            _ => Err(format!(
                "dtype {descr} is not read: save a float16/32/64 or integer array"
            )),
        }
    }

    /// The value of one item's bytes.
    fn value(self, b: &[u8]) -> f64 {
        let mut a = [0u8; 8];
        a[..self.size].copy_from_slice(b);
        if self.big_endian {
            a[..self.size].reverse();
        }
        // `a` now holds the item little-endian in its first `size` bytes.
        match (self.kind, self.size) {
            ('f', 2) => half::f16::from_le_bytes([a[0], a[1]]).to_f64(),
            ('f', 4) => f64::from(f32::from_le_bytes([a[0], a[1], a[2], a[3]])),
            ('f', _) => f64::from_le_bytes(a),
            ('u', _) => u64::from_le_bytes(a) as f64,
            (_, s) => {
                // Sign-extend from `s` bytes.
                let shift = 64 - 8 * s as u32;
                ((i64::from_le_bytes(a) << shift) >> shift) as f64
            }
        }
    }
}

/// What the header of a `.npy` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The dtype.
    pub dtype: Dtype,
    /// Fortran (column-major) order.
    pub fortran_order: bool,
    /// The shape.
    pub shape: Vec<usize>,
    /// Offset of the data in the file.
    pub data_offset: usize,
}

fn header_dict(text: &str) -> std::result::Result<Header, String> {
    use py_literal::Value;
    let v: Value = text
        .trim_end_matches(['\n', ' ', '\0'])
        .parse()
        .map_err(|e| format!("header is not a Python dict literal ({e})"))?;
    let Value::Dict(entries) = v else {
        return Err("header is not a Python dict".into());
    };
    let get = |key: &str| {
        entries.iter().find_map(|(k, v)| match k {
            Value::String(s) if s == key => Some(v),
            _ => None,
        })
    };
    let dtype =
        match get("descr") {
            Some(Value::String(d)) => Dtype::parse(d)?,
            Some(Value::List(_)) => return Err(
                "structured dtype (a list of fields) is not read: save one numeric array per name"
                    .into(),
            ),
            _ => return Err("header has no string `descr` (the dtype)".into()),
        };
    let fortran_order = match get("fortran_order") {
        Some(Value::Boolean(b)) => *b,
        _ => return Err("header has no boolean `fortran_order`".into()),
    };
    let shape = match get("shape") {
        Some(Value::Tuple(dims)) => dims
            .iter()
            .map(|d| match d {
                Value::Integer(i) => i
                    .to_string()
                    .parse::<usize>()
                    .map_err(|_| format!("shape entry {i} is not a size")),
                other => Err(format!("shape entry {other} is not an integer")),
            })
            .collect::<std::result::Result<Vec<_>, _>>()?,
        _ => return Err("header has no tuple `shape`".into()),
    };
    Ok(Header {
        dtype,
        fortran_order,
        shape,
        data_offset: 0,
    })
}

/// Parse the preamble and header of `.npy` bytes (nothing is allocated beyond the header's
/// text, which lies within `bytes`).
///
/// # Errors
/// Not a `.npy` (no magic), an unknown version, a header longer than the file, an unreadable
/// header, a dtype this reader does not take — each said in words.
pub fn parse_header(bytes: &[u8]) -> std::result::Result<Header, String> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(if bytes.is_empty() {
            "empty file".into()
        } else {
            "not a .npy file (it does not start with \\x93NUMPY)".into()
        });
    }
    let (len, start) = match bytes.get(6) {
        Some(1) if bytes.len() >= 10 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        Some(2 | 3) if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        Some(1..=3) => {
            return Err(format!(
                "truncated: {} bytes, shorter than the .npy preamble",
                bytes.len()
            ))
        }
        Some(v) => {
            return Err(format!(
                ".npy format version {v} is not read (1, 2 and 3 are)"
            ))
        }
        None => return Err("truncated within the .npy preamble".into()),
    };
    let rest = bytes.len() - start;
    if len > rest {
        return Err(format!(
            "truncated: the header declares {len} bytes but only {rest} follow the preamble"
        ));
    }
    let text = String::from_utf8_lossy(&bytes[start..start + len]);
    let mut h = header_dict(&text)?;
    h.data_offset = start + len;
    Ok(h)
}

fn shape_text(shape: &[usize]) -> String {
    let inner: Vec<String> = shape.iter().map(ToString::to_string).collect();
    format!("({})", inner.join(", "))
}

/// Decode `.npy` bytes into `f64` values, checking the declared data size against the bytes
/// present and the `f64` copy against `limit` (bytes) before allocating it.
///
/// # Errors
/// As [`parse_header`]; data shorter or longer than the shape declares; a shape whose `f64`
/// copy exceeds `limit` ([`crate::Error::Memory`] as text).
pub fn decode(bytes: &[u8], limit: u64) -> std::result::Result<ArrayD<f64>, String> {
    let h = parse_header(bytes)?;
    let count = limits::product(&h.shape.iter().map(|&d| d as u128).collect::<Vec<_>>());
    let need = count.saturating_mul(h.dtype.size as u128);
    let have = (bytes.len() - h.data_offset) as u128;
    let desc = format!(
        "shape {} of {}{}",
        shape_text(&h.shape),
        h.dtype.kind,
        h.dtype.size * 8
    );
    if need > have {
        return Err(format!(
            "truncated: {desc} needs {need} bytes of data, the file holds {have}"
        ));
    }
    if need < have {
        return Err(format!(
            "{} bytes after the data that {desc} declares (a wrong shape, or two arrays in one file)",
            have - need
        ));
    }
    limits::check_within(
        || format!("{desc} as float64"),
        count.saturating_mul(8),
        limit,
    )
    .map_err(|e| e.to_string())?;
    let data = &bytes[h.data_offset..];
    let v: Vec<f64> = data
        .chunks_exact(h.dtype.size)
        .map(|c| h.dtype.value(c))
        .collect();
    let dim = IxDyn(&h.shape);
    let a = if h.fortran_order {
        ArrayD::from_shape_vec(dim.f(), v)
    } else {
        ArrayD::from_shape_vec(dim, v)
    };
    let a = a.map_err(|e| format!("{desc}: {e}"))?;
    Ok(if h.fortran_order {
        a.as_standard_layout().into_owned()
    } else {
        a
    })
}

/// Read one `.npy` file: its size checked against `limit` (the file is read whole, then
/// decoded as [`decode`]).
///
/// # Errors
/// I/O; as [`decode`], naming the file.
pub fn read_npy(path: &Path, limit: u64) -> Result<ArrayD<f64>> {
    let len = std::fs::metadata(path).map_err(|e| io_err(path, e))?.len();
    limits::check_within(
        || format!("{} (the file)", path.display()),
        u128::from(len),
        limit,
    )?;
    let bytes = std::fs::read(path).map_err(|e| io_err(path, e))?;
    decode(&bytes, limit).map_err(|e| data_err(path, e))
}

/// Read the entries of an `.npz` (zip, stored or deflated) whose names, without `.npy`, satisfy
/// `wanted`. Each entry's declared size is checked against what is left of `limit` before it is
/// inflated; the inflated bytes must be exactly the declared size.
///
/// # Errors
/// I/O; not a zip; an entry over the limit, of another size than declared, or not a valid
/// `.npy` — naming the file and the entry.
pub fn read_npz(
    path: &Path,
    wanted: impl Fn(&str) -> bool,
    limit: u64,
) -> Result<Vec<(String, ArrayD<f64>)>> {
    let f = File::open(path).map_err(|e| io_err(path, e))?;
    let mut z = zip::ZipArchive::new(f)
        .map_err(|e| data_err(path, format!("not a readable .npz (zip) file: {e}")))?;
    let mut left = limit;
    let mut out = Vec::new();
    for i in 0..z.len() {
        let mut entry = z
            .by_index(i)
            .map_err(|e| data_err(path, format!("entry {i}: {e}")))?;
        let full = entry.name().to_string();
        let name = full.trim_end_matches(".npy").to_string();
        if !wanted(&name) {
            continue;
        }
        let declared = entry.size();
        limits::check_within(
            || {
                format!(
                    "entry `{full}` of {} ({declared} bytes inflated)",
                    path.display()
                )
            },
            u128::from(declared),
            left,
        )?;
        let mut bytes = Vec::with_capacity(declared as usize);
        (&mut entry)
            .take(declared.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| data_err(path, format!("entry `{full}`: {e}")))?;
        if bytes.len() as u64 != declared {
            return Err(data_err(
                path,
                format!(
                    "entry `{full}` declares {declared} bytes but inflates to {}{}",
                    bytes.len(),
                    if bytes.len() as u64 > declared {
                        " or more"
                    } else {
                        ""
                    }
                ),
            ));
        }
        let a = decode(&bytes, left.saturating_sub(declared))
            .map_err(|e| data_err(path, format!("entry `{full}`: {e}")))?;
        left = left.saturating_sub(declared.saturating_add(8 * a.len() as u64));
        out.push((name, a));
    }
    Ok(out)
}

#[cfg(test)]
// Decoding is exact: the tests compare values bit for bit.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    fn npy(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
        let mut h = format!(
            "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
            if fortran { "True" } else { "False" }
        );
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        let mut b = MAGIC.to_vec();
        b.extend([1, 0]);
        b.extend((h.len() as u16).to_le_bytes());
        b.extend(h.as_bytes());
        b.extend(data);
        b
    }

    #[test]
    fn values_orders_and_dtypes_are_read_exactly() {
        let data: Vec<u8> = [1.5f32, -2.0, 3.25, 4.0, 5.0, 6.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let c = decode(&npy("<f4", false, "(2, 3)", &data), u64::MAX).unwrap();
        assert_eq!(c.shape(), &[2, 3]);
        assert_eq!(
            c.iter().copied().collect::<Vec<_>>(),
            [1.5, -2.0, 3.25, 4.0, 5.0, 6.0]
        );
        // The same bytes in Fortran order are the transpose's layout.
        let f = decode(&npy("<f4", true, "(2, 3)", &data), u64::MAX).unwrap();
        assert_eq!(f[[0, 1]], 3.25);
        assert_eq!(f[[1, 0]], -2.0);
        let be: Vec<u8> = [-3i16, 7].iter().flat_map(|v| v.to_be_bytes()).collect();
        let a = decode(&npy(">i2", false, "(2,)", &be), u64::MAX).unwrap();
        assert_eq!(a.iter().copied().collect::<Vec<_>>(), [-3.0, 7.0]);
        let u = decode(&npy("|u1", false, "(2,)", &[255, 1]), u64::MAX).unwrap();
        assert_eq!(u.iter().copied().collect::<Vec<_>>(), [255.0, 1.0]);
        let h: Vec<u8> = [half::f16::from_f32(0.5)]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(
            decode(&npy("<f2", false, "(1,)", &h), u64::MAX).unwrap()[[0]],
            0.5
        );
    }

    #[test]
    fn each_failure_says_its_reason() {
        let reason = |b: &[u8]| decode(b, u64::MAX).unwrap_err();
        let f4 = |n: usize| vec![0u8; 4 * n];
        assert!(reason(&npy("<f4", false, "(3,)", &f4(2))).starts_with("truncated"));
        assert!(reason(&npy("<f4", false, "(3,)", &f4(4))).contains("bytes after the data"));
        assert!(reason(&npy("<f4", false, "(1000000000000,)", &f4(2))).starts_with("truncated"));
        assert!(reason(&npy("<c8", false, "(1,)", &f4(2))).contains("complex"));
        assert!(reason(&npy("|O", false, "(1,)", &f4(2))).contains("object"));
        assert!(reason(&[]).contains("empty"));
        assert!(reason(b"PK\x03\x04 hello").contains("not a .npy"));
        // A version-2 header that declares 1 GiB in a 23-byte file: refused from the numbers.
        let mut b = MAGIC.to_vec();
        b.extend([2, 0]);
        b.extend((1u32 << 30).to_le_bytes());
        b.extend(b"{'descr'..");
        assert_eq!(b.len(), 22);
        assert!(
            reason(&b).contains("declares 1073741824 bytes"),
            "{}",
            reason(&b)
        );
        // Over the memory limit: refused before the f64 copy is made.
        let e = decode(&npy("<f4", false, "(4,)", &f4(4)), 31).unwrap_err();
        assert!(e.contains("would need 32 B"), "{e}");
        assert!(decode(&npy("<f4", false, "(4,)", &f4(4)), 32).is_ok());
    }
}
