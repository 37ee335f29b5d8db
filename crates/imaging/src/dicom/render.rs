//! Rendering of native (uncompressed, little-endian) pixel data to PNG.

use std::borrow::Cow;

use dicom_core::value::{PrimitiveValue, Value};
use dicom_dictionary_std::tags;

use super::{DicomError, EXPLICIT_VR_BE, EXPLICIT_VR_LE, IMPLICIT_VR_LE, element, first_f64, get_ascii, get_int, open};

/// How to render an image (显示参数).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RenderOptions {
    /// Window centre (窗位) in modality units; with `window_width`, overrides the file's window.
    pub window_center: Option<f64>,
    /// Window width (窗宽) in modality units (≥ 1).
    pub window_width: Option<f64>,
    /// Downscale (area average) so that neither side exceeds this many pixels.
    pub max_edge: Option<u32>,
    /// Invert grey levels (after MONOCHROME1 is already shown white-on-black correctly).
    pub invert: bool,
}

/// Whether dicom-rs (built without codecs) can read the data set of this transfer syntax.
pub(crate) fn dataset_readable(ts: &str) -> bool {
    matches!(ts, IMPLICIT_VR_LE | EXPLICIT_VR_LE | EXPLICIT_VR_BE) || ts.starts_with("1.2.840.10008.1.2.4.") || ts == "1.2.840.10008.1.2.5"
}

/// Transfer syntaxes whose pixels this crate decodes: native little endian only.
pub(crate) fn check_transfer_syntax(ts: &str) -> Result<(), DicomError> {
    match ts {
        IMPLICIT_VR_LE | EXPLICIT_VR_LE => Ok(()),
        other => Err(DicomError::UnsupportedTransferSyntax { uid: other.to_string() }),
    }
}

fn unsupported(detail: impl Into<String>) -> DicomError {
    DicomError::UnsupportedPixelData { detail: detail.into() }
}

/// Renders the first frame of a DICOM image to PNG (8-bit grey or RGB).
///
/// Supports MONOCHROME1/MONOCHROME2 with 8 or 16 bits allocated (signed or unsigned, any Bits
/// Stored / High Bit), Rescale Slope/Intercept, the linear VOI window of PS3.3 C.11.2.1.2
/// (from `options`, else the file, else the full range of the frame), and 8-bit RGB.
pub fn render_png(bytes: &[u8], options: &RenderOptions) -> Result<Vec<u8>, DicomError> {
    let obj = open(bytes, None)?;
    check_transfer_syntax(obj.meta().transfer_syntax())?;
    let ds = &*obj;
    let pixel = element(ds, tags::PIXEL_DATA).ok_or(DicomError::NoPixelData)?;
    let raw: Cow<'_, [u8]> = match pixel.value() {
        Value::Primitive(PrimitiveValue::U8(v)) => Cow::Borrowed(&v[..]),
        Value::Primitive(PrimitiveValue::U16(v)) => Cow::Owned(v.iter().flat_map(|x| x.to_le_bytes()).collect()),
        Value::Primitive(PrimitiveValue::I16(v)) => Cow::Owned(v.iter().flat_map(|x| x.to_le_bytes()).collect()),
        Value::Primitive(PrimitiveValue::Empty) => return Err(DicomError::NoPixelData),
        _ => return Err(unsupported("Pixel Data is not a native OB/OW value")),
    };
    let missing = |attribute: &'static str, tag| DicomError::MissingAttribute {
        attribute,
        tag: super::error::tag_string(tag),
    };
    let rows: u16 = get_int(ds, tags::ROWS).ok_or_else(|| missing("Rows", tags::ROWS))?;
    let cols: u16 = get_int(ds, tags::COLUMNS).ok_or_else(|| missing("Columns", tags::COLUMNS))?;
    if rows == 0 || cols == 0 {
        return Err(unsupported(format!("image size {cols}×{rows}")));
    }
    let spp: u16 = get_int(ds, tags::SAMPLES_PER_PIXEL).unwrap_or(1);
    let bits_allocated: u16 = get_int(ds, tags::BITS_ALLOCATED).ok_or_else(|| missing("BitsAllocated", tags::BITS_ALLOCATED))?;
    let bits_stored: u16 = get_int(ds, tags::BITS_STORED).unwrap_or(bits_allocated);
    let high_bit: u16 = get_int(ds, tags::HIGH_BIT).unwrap_or(bits_stored.saturating_sub(1));
    let signed = get_int::<u16>(ds, tags::PIXEL_REPRESENTATION).unwrap_or(0) == 1;
    let photometric = get_ascii(ds, tags::PHOTOMETRIC_INTERPRETATION).unwrap_or_else(|| "MONOCHROME2".into());

    let (w, h) = (usize::from(cols), usize::from(rows));
    let n = w * h;
    let (pixels, channels) = match (photometric.as_str(), spp) {
        ("MONOCHROME1" | "MONOCHROME2", 1) => {
            if !matches!(bits_allocated, 8 | 16)
                || bits_stored == 0
                || bits_stored > bits_allocated
                || high_bit >= bits_allocated
                || high_bit + 1 < bits_stored
            {
                return Err(unsupported(format!(
                    "BitsAllocated {bits_allocated}, BitsStored {bits_stored}, HighBit {high_bit}"
                )));
            }
            let bpp = usize::from(bits_allocated / 8);
            let frame = raw.get(..n * bpp).ok_or_else(|| DicomError::Corrupt {
                detail: format!(
                    "Pixel Data has {} bytes, a {cols}×{rows} frame of {bits_allocated}-bit pixels needs {}",
                    raw.len(),
                    n * bpp
                ),
            })?;
            let stored = Stored {
                bits_stored,
                shift: high_bit + 1 - bits_stored,
                signed,
            };
            let mut gray = render_gray(frame, bpp, stored, ds, options);
            let invert = (photometric == "MONOCHROME1") != options.invert;
            if invert {
                gray.iter_mut().for_each(|p| *p = 255 - *p);
            }
            (gray, 1)
        }
        ("RGB", 3) => {
            if bits_allocated != 8 {
                return Err(unsupported(format!("RGB with BitsAllocated {bits_allocated}")));
            }
            let frame = raw.get(..n * 3).ok_or_else(|| DicomError::Corrupt {
                detail: format!("Pixel Data has {} bytes, a {cols}×{rows} RGB frame needs {}", raw.len(), n * 3),
            })?;
            let planar = get_int::<u16>(ds, tags::PLANAR_CONFIGURATION).unwrap_or(0) == 1;
            let mut rgb = if planar {
                (0..n).flat_map(|i| [frame[i], frame[n + i], frame[2 * n + i]]).collect()
            } else {
                frame.to_vec()
            };
            if options.invert {
                rgb.iter_mut().for_each(|p| *p = 255 - *p);
            }
            (rgb, 3)
        }
        (p, s) => {
            return Err(unsupported(format!("PhotometricInterpretation {p} with SamplesPerPixel {s}")));
        }
    };
    let (pixels, w, h) = match options.max_edge {
        Some(m) if m > 0 && (w as u32 > m || h as u32 > m) => downscale(&pixels, w, h, channels, m as usize),
        _ => (pixels, w, h),
    };
    encode_png(&pixels, w as u32, h as u32, channels)
}

#[derive(Clone, Copy)]
struct Stored {
    bits_stored: u16,
    shift: u16,
    signed: bool,
}

impl Stored {
    /// Stored value (masked, sign-extended) of one raw sample.
    fn value(self, raw: u16) -> i32 {
        let mask: u32 = (1u32 << self.bits_stored) - 1;
        let v = (u32::from(raw) >> self.shift) & mask;
        if self.signed && v & (1 << (self.bits_stored - 1)) != 0 {
            v as i32 - (1i32 << self.bits_stored)
        } else {
            v as i32
        }
    }

    /// Index into a lookup table of 2^bits_stored entries.
    fn index(self, raw: u16) -> usize {
        ((u32::from(raw) >> self.shift) & ((1u32 << self.bits_stored) - 1)) as usize
    }
}

fn render_gray(frame: &[u8], bpp: usize, stored: Stored, ds: &dicom_object::InMemDicomObject, options: &RenderOptions) -> Vec<u8> {
    let raw_at = |i: usize| -> u16 {
        if bpp == 1 {
            u16::from(frame[i])
        } else {
            u16::from_le_bytes([frame[2 * i], frame[2 * i + 1]])
        }
    };
    let n = frame.len() / bpp;
    let slope = first_f64(ds, tags::RESCALE_SLOPE).filter(|s| *s != 0.0).unwrap_or(1.0);
    let intercept = first_f64(ds, tags::RESCALE_INTERCEPT).unwrap_or(0.0);
    let modality = |s: i32| f64::from(s) * slope + intercept;

    let window = match (options.window_center, options.window_width) {
        (Some(c), Some(w)) if w >= 1.0 && c.is_finite() && w.is_finite() => Some((c, w)),
        _ => match (first_f64(ds, tags::WINDOW_CENTER), first_f64(ds, tags::WINDOW_WIDTH)) {
            (Some(c), Some(w)) if w >= 1.0 => Some((c, w)),
            _ => None,
        },
    };
    let (center, width) = window.unwrap_or_else(|| {
        // Full range of this frame.
        let (mut lo, mut hi) = (i32::MAX, i32::MIN);
        for i in 0..n {
            let v = stored.value(raw_at(i));
            lo = lo.min(v);
            hi = hi.max(v);
        }
        let (a, b) = (modality(lo), modality(hi));
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        ((a + b) / 2.0 + 0.5, (b - a + 1.0).max(1.0))
    });

    // Lookup table over every possible stored value.
    let size = 1usize << stored.bits_stored;
    let lut: Vec<u8> = (0..size)
        .map(|idx| {
            let raw = idx as u32;
            let v = if stored.signed && raw & (1 << (stored.bits_stored - 1)) != 0 {
                raw as i32 - (1i32 << stored.bits_stored)
            } else {
                raw as i32
            };
            voi_linear(modality(v), center, width)
        })
        .collect();
    (0..n).map(|i| lut[stored.index(raw_at(i))]).collect()
}

/// The DICOM linear VOI LUT function (PS3.3 C.11.2.1.2.1) to 0..=255.
pub(crate) fn voi_linear(x: f64, c: f64, w: f64) -> u8 {
    let lo = c - 0.5 - (w - 1.0) / 2.0;
    let hi = c - 0.5 + (w - 1.0) / 2.0;
    if x <= lo {
        0
    } else if x > hi || w <= 1.0 {
        255
    } else {
        (((x - (c - 0.5)) / (w - 1.0) + 0.5) * 255.0).round().clamp(0.0, 255.0) as u8
    }
}

/// Area-average downscale so that the longer side is `max_edge`.
fn downscale(src: &[u8], w: usize, h: usize, ch: usize, max_edge: usize) -> (Vec<u8>, usize, usize) {
    let scale = max_edge as f64 / w.max(h) as f64;
    let nw = ((w as f64 * scale).round() as usize).clamp(1, max_edge);
    let nh = ((h as f64 * scale).round() as usize).clamp(1, max_edge);
    let mut out = vec![0u8; nw * nh * ch];
    for oy in 0..nh {
        let y0 = oy * h / nh;
        let y1 = ((oy + 1) * h / nh).max(y0 + 1);
        for ox in 0..nw {
            let x0 = ox * w / nw;
            let x1 = ((ox + 1) * w / nw).max(x0 + 1);
            let count = ((y1 - y0) * (x1 - x0)) as u32;
            for c in 0..ch {
                let mut sum = 0u32;
                for y in y0..y1 {
                    let row = &src[(y * w) * ch..(y * w + w) * ch];
                    for x in x0..x1 {
                        sum += u32::from(row[x * ch + c]);
                    }
                }
                out[(oy * nw + ox) * ch + c] = ((sum + count / 2) / count) as u8;
            }
        }
    }
    (out, nw, nh)
}

fn encode_png(pixels: &[u8], w: u32, h: u32, channels: usize) -> Result<Vec<u8>, DicomError> {
    let mut out = Vec::with_capacity(pixels.len() / 2 + 1024);
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(if channels == 3 {
        png::ColorType::Rgb
    } else {
        png::ColorType::Grayscale
    });
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Fast);
    let fail = |e: png::EncodingError| unsupported(format!("PNG encoding failed: {e}"));
    let mut writer = enc.write_header().map_err(fail)?;
    writer.write_image_data(pixels).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_voi_matches_the_standard() {
        // c = 2048, w = 4096: full 12-bit range.
        assert_eq!(voi_linear(-10.0, 2048.0, 4096.0), 0);
        assert_eq!(voi_linear(5000.0, 2048.0, 4096.0), 255);
        assert_eq!(voi_linear(2047.5, 2048.0, 4096.0), 128);
        // Narrow window.
        assert_eq!(voi_linear(99.0, 100.0, 1.0), 0);
        assert_eq!(voi_linear(100.0, 100.0, 1.0), 255);
        assert_eq!(voi_linear(40.0, 40.0, 400.0), 128);
    }

    #[test]
    fn downscale_averages_blocks() {
        let src = vec![0, 255, 0, 255, 0, 255, 0, 255];
        let (out, w, h) = downscale(&src, 4, 2, 1, 2);
        assert_eq!((w, h), (2, 1));
        assert_eq!(out, vec![128, 128]);
    }

    #[test]
    fn stored_values_sign_extend() {
        let s = Stored {
            bits_stored: 12,
            shift: 0,
            signed: true,
        };
        assert_eq!(s.value(0x0FFF), -1);
        assert_eq!(s.value(0x07FF), 2047);
        assert_eq!(s.value(0xF001), 1, "bits above BitsStored are masked");
        let u = Stored {
            bits_stored: 12,
            shift: 0,
            signed: false,
        };
        assert_eq!(u.value(0x0FFF), 4095);
    }
}
