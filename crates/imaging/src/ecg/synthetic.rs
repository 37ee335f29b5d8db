//! Synthetic 12-lead ECGs (合成心电图) for the demo, tests and benchmarks.

use super::{Ecg, Lead, LeadName, assemble};
use crate::dicom::writer::SplitMix64;

/// Amplitudes in µV of P, Q, R, S, T for one lead.
type Waves = [f64; 5];

const LEAD_I: Waves = [60.0, -40.0, 600.0, -100.0, 180.0];
const LEAD_II: Waves = [130.0, -80.0, 1200.0, -200.0, 300.0];
const PRECORDIAL: [Waves; 6] = [
    [60.0, 0.0, 250.0, -900.0, -100.0],
    [70.0, 0.0, 500.0, -1300.0, 250.0],
    [70.0, -50.0, 800.0, -800.0, 350.0],
    [70.0, -80.0, 1300.0, -400.0, 400.0],
    [70.0, -90.0, 1200.0, -250.0, 330.0],
    [60.0, -80.0, 900.0, -150.0, 250.0],
];

/// Timing of the synthetic beat relative to the R peak, seconds: (centre, sigma) of P, Q, R, S.
const P: (f64, f64) = (-0.160, 0.022);
const Q: (f64, f64) = (-0.028, 0.008);
const R: (f64, f64) = (0.0, 0.011);
const S: (f64, f64) = (0.030, 0.009);
const T_SIGMA: f64 = 0.045;
/// QRS onset relative to R, seconds (where Q starts).
pub(crate) const QRS_ONSET_S: f64 = -0.045;

fn gauss(t: f64, (c, s): (f64, f64)) -> f64 {
    let z = (t - c) / s;
    (-0.5 * z * z).exp()
}

/// A 500 Hz sinus-rhythm 12-lead ECG at `heart_rate_bpm` (clamped to 30–220) lasting
/// `duration_s` (at least 2 s): Gaussian P, Q, R, S, T waves with lead-specific amplitudes, QT
/// following Bazett with QTc 400 ms, limb leads consistent by Einthoven's law, small noise and
/// baseline wander. Deterministic from `seed`.
pub fn synthetic_ecg(seed: u64, heart_rate_bpm: u32, duration_s: u32) -> Ecg {
    let fs = 500u32;
    let hr = f64::from(heart_rate_bpm.clamp(30, 220));
    let n = (duration_s.max(2) * fs) as usize;
    let rr = 60.0 / hr;
    let qt = 0.400 * rr.sqrt();
    let t_wave = (QRS_ONSET_S + qt - 2.0 * T_SIGMA, T_SIGMA);
    let mut rng = SplitMix64::new(seed);
    let duration = n as f64 / f64::from(fs);
    let mut beats = Vec::new();
    let mut t = 0.25 + 0.1 * rng.next_f64();
    while t < duration + 0.5 {
        beats.push(t);
        t += rr * (1.0 + 0.01 * rng.next_gauss());
    }
    let waves: Vec<Waves> = std::iter::once(LEAD_I).chain(std::iter::once(LEAD_II)).chain(PRECORDIAL).collect();
    let mut signals: Vec<Vec<f64>> = vec![vec![0.0; n]; waves.len()];
    for &b in &beats {
        let lo = ((b - 0.3) * f64::from(fs)).floor().max(0.0) as usize;
        let hi = (((b + qt + 0.1) * f64::from(fs)).ceil() as usize).min(n);
        for i in lo..hi {
            let rel = i as f64 / f64::from(fs) - b;
            let shape = [gauss(rel, P), gauss(rel, Q), gauss(rel, R), gauss(rel, S), gauss(rel, t_wave)];
            for (sig, w) in signals.iter_mut().zip(&waves) {
                sig[i] += shape.iter().zip(w).map(|(s, a)| s * a).sum::<f64>();
            }
        }
    }
    let wander_phase = rng.next_f64() * std::f64::consts::TAU;
    let names = [
        LeadName::I,
        LeadName::II,
        LeadName::V1,
        LeadName::V2,
        LeadName::V3,
        LeadName::V4,
        LeadName::V5,
        LeadName::V6,
    ];
    let leads: Vec<Lead> = names
        .into_iter()
        .zip(signals)
        .map(|(name, sig)| Lead {
            name,
            samples_uv: sig
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let t = i as f64 / f64::from(fs);
                    let wander = 40.0 * (std::f64::consts::TAU * 0.25 * t + wander_phase).sin();
                    (v + wander + 8.0 * rng.next_gauss()).round() as i32
                })
                .collect(),
        })
        .collect();
    assemble(fs, leads, None, None, None).expect("synthetic ECG is complete")
}
