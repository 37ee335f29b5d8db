//! # sanyi-imaging
//!
//! Pure intake, rendering and synthesis of remote-reading material for sanyi: DICOM DR/DX
//! images (DICOM 影像) and 12-lead resting ECGs (十二导联静息心电图). No I/O, no HTTP, no SQL, no
//! async: every function takes bytes or values and returns bytes or values.
//!
//! ## DICOM ([`dicom`])
//!
//! Supported:
//! - Part-10 files (128-byte preamble + `DICM`) in Implicit VR Little Endian, Explicit VR Little
//!   and Big Endian; the metadata of encapsulated (JPEG, JPEG-LS, JPEG 2000, RLE) files too.
//! - [`dicom::parse_instance`]: the identifiers and index fields of one instance, reading only up
//!   to Pixel Data (no pixel conversion), with typed errors ([`dicom::DicomError`], English and
//!   Chinese messages).
//! - Chinese text: `GB18030`, `GBK`, `GB2312`, `ISO 2022 IR 58` and the common misspelling
//!   `ISO_IR 58`, declared as any value of Specific Character Set (ISO 2022 escapes are removed);
//!   when no character set is declared, non-ASCII text that is valid UTF-8 or well-formed GB18030
//!   is decoded as such (Chinese modalities often omit the declaration).
//! - [`dicom::render_png`]: first frame of native little-endian MONOCHROME1/2 (8/16 bits, signed
//!   or unsigned, any Bits Stored) with Rescale Slope/Intercept and the linear VOI window, and
//!   8-bit RGB; area-average downscaling; 8-bit PNG.
//! - [`dicom::synthetic_dr`]: deterministic DX chest images with GB18030 patient names.
//! - Hostile input: before dicom-rs parses anything, a structural scan rejects element lengths
//!   larger than the file (dicom-rs would otherwise allocate the declared length first), so a
//!   small corrupt file cannot make it allocate gigabytes. Truncations, random bytes and
//!   splices are tested to give errors, not panics.
//!
//! Not supported: decoding compressed pixel data (JPEG etc. render as
//! [`dicom::DicomError::UnsupportedTransferSyntax`]), Deflated Explicit VR Little Endian (not
//! even metadata), Big Endian pixel rendering, palette colour, YBR, modality/VOI LUT sequences,
//! sigmoid VOI, overlays, frames other than the first, files without the Part-10 preamble.
//!
//! ## ECG ([`ecg`])
//!
//! Supported: HL7 aECG XML, DICOM 12-lead / General ECG waveforms (16-bit signed samples), and
//! a documented CSV, detected by content ([`ecg::parse_any`]); missing limb leads III, aVR, aVL
//! and aVF derived from I and II (Einthoven/Goldberger); measurements from the waveform
//! ([`ecg::measure`]: rate, RR, PR, QRS, QT, QTc Bazett); measurements carried by an aECG file
//! (MDC annotations) are kept as [`ecg::Ecg::reported`]; SVG on standard paper
//! ([`ecg::render_svg`]); synthetic ECGs and writers for all three formats.
//!
//! Not supported: device measurements inside DICOM (Waveform Annotation Sequence) or CSV files,
//! SCP-ECG, vendor XML (GE MUSE, Philips), pacemaker spikes, rhythm diagnosis or
//! any interpretation statement, multiple waveform groups beyond the first 12-lead one, 8-bit or
//! 32-bit DICOM waveform samples.

pub mod dicom;
pub mod ecg;
