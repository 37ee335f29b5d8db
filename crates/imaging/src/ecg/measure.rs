//! Global measurements from the waveform: R peaks on lead II (derivative, squaring, moving
//! integration and an adaptive threshold, after Pan and Tompkins), a median beat per lead,
//! then fiducial points on the median beats.

use super::{Ecg, LeadName, Measurements};

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// R-peak sample indices on `x`.
pub(crate) fn r_peaks(x: &[i32], fs: f64) -> Vec<usize> {
    let n = x.len();
    if n < 8 {
        return Vec::new();
    }
    let mut e = vec![0.0f64; n];
    for i in 1..n - 1 {
        let d = f64::from(x[i + 1]) - f64::from(x[i - 1]);
        e[i] = d * d;
    }
    let w = ((0.12 * fs) as usize).max(1);
    let mut integ = vec![0.0f64; n];
    let mut acc = 0.0;
    for i in 0..n {
        acc += e[i];
        if i >= w {
            acc -= e[i - w];
        }
        integ[i] = acc / w as f64;
    }
    let mut sorted = integ.clone();
    sorted.sort_by(f64::total_cmp);
    let p99 = sorted[(n * 99 / 100).min(n - 1)];
    let thr = 0.3 * p99;
    if thr <= 0.0 {
        return Vec::new();
    }
    let refractory = (0.25 * fs) as usize;
    let mut peaks: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < n {
        if integ[i] > thr {
            let start = i;
            while i < n && integ[i] > thr {
                i += 1;
            }
            // The integrator lags the QRS by up to its window.
            let lo = start.saturating_sub(w);
            let hi = i.min(n);
            let base = f64::from(x[lo]);
            let r = (lo..hi)
                .max_by(|a, b| (f64::from(x[*a]) - base).abs().total_cmp(&(f64::from(x[*b]) - base).abs()))
                .unwrap_or(start);
            match peaks.last() {
                Some(&last) if r < last + refractory => {}
                _ => peaks.push(r),
            }
        } else {
            i += 1;
        }
    }
    peaks
}

/// Computes heart rate, RR, PR, QRS, QT and QTc (Bazett) from the waveform. Fields are `None`
/// when they cannot be determined (fewer than two beats; no P wave found on lead II).
pub fn measure(ecg: &Ecg) -> Measurements {
    let fs = f64::from(ecg.sample_rate_hz.max(1));
    let Some(ii) = ecg.lead(LeadName::II) else {
        return Measurements::default();
    };
    let peaks = r_peaks(ii, fs);
    if peaks.len() < 2 {
        return Measurements::default();
    }
    let mut rrs: Vec<f64> = peaks.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
    let rr = median(&mut rrs);
    let ms = |samples: f64| (samples * 1000.0 / fs).round().max(0.0) as u32;
    let rr_ms = ms(rr);
    let mut m = Measurements {
        heart_rate_bpm: Some((60.0 * fs / rr).round() as u32),
        rr_ms: Some(rr_ms),
        ..Measurements::default()
    };

    // Median beat of every lead around the R peaks.
    let pre = (0.42 * rr).min(0.3 * fs) as usize;
    let post = (rr - pre as f64).min(0.6 * fs) as usize;
    let len = pre + post;
    let beats: Vec<usize> = peaks.iter().copied().filter(|&p| p >= pre && p + post <= ii.len()).collect();
    if beats.is_empty() || len < 20 {
        return m;
    }
    // Each beat is detrended by the line through the means of its first and last 5 samples
    // (TP segment, roughly isoelectric) so baseline wander does not shift the fiducials.
    let edge = 5.min(len / 4).max(1);
    // Leads of another length than II (possible only for hand-built values) are skipped.
    let usable: Vec<&super::Lead> = ecg.leads.iter().filter(|l| l.samples_uv.len() == ii.len()).collect();
    let medians: Vec<Vec<f64>> = usable
        .iter()
        .map(|l| {
            let trends: Vec<(f64, f64)> = beats
                .iter()
                .map(|&p| {
                    let w = &l.samples_uv[p - pre..p + post];
                    let a = w[..edge].iter().map(|v| f64::from(*v)).sum::<f64>() / edge as f64;
                    let b = w[len - edge..].iter().map(|v| f64::from(*v)).sum::<f64>() / edge as f64;
                    (a, (b - a) / (len - edge) as f64)
                })
                .collect();
            (0..len)
                .map(|k| {
                    let mut v: Vec<f64> = beats
                        .iter()
                        .zip(&trends)
                        .map(|(&p, (a, slope))| f64::from(l.samples_uv[p - pre + k]) - a - slope * k as f64)
                        .collect();
                    median(&mut v)
                })
                .collect()
        })
        .collect();
    // Spatial activity: sum of absolute slopes over leads, lightly smoothed.
    let mut act = vec![0.0f64; len];
    for med in &medians {
        for k in 1..len - 1 {
            act[k] += (med[k + 1] - med[k - 1]).abs();
        }
    }
    let act: Vec<f64> = (0..len)
        .map(|k| {
            let lo = k.saturating_sub(2);
            let hi = (k + 3).min(len);
            act[lo..hi].iter().sum::<f64>() / (hi - lo) as f64
        })
        .collect();
    let r = pre;
    let near = (0.04 * fs) as usize;
    let peak_act = act[r.saturating_sub(near)..(r + near).min(len)].iter().copied().fold(0.0, f64::max);
    let thr = 0.12 * peak_act;
    let mut onset = r;
    let max_half = (0.12 * fs) as usize;
    while onset > 1 && r - onset < max_half && act[onset - 1] > thr {
        onset -= 1;
    }
    let mut offset = r;
    while offset + 2 < len && offset - r < max_half && act[offset + 1] > thr {
        offset += 1;
    }
    m.qrs_ms = Some(ms((offset - onset) as f64));
    // Isoelectric level of a median beat: the PR segment, 20 to 8 ms before QRS onset.
    let iso_lo = onset.saturating_sub((0.02 * fs) as usize);
    let iso_hi = onset.saturating_sub((0.008 * fs) as usize).max(iso_lo + 1);
    let iso = |med: &[f64]| med[iso_lo..iso_hi].iter().sum::<f64>() / (iso_hi - iso_lo) as f64;

    // T end by the tangent method on the lead with the largest T wave.
    let t_lo = offset + (0.06 * fs) as usize;
    let t_hi = len.saturating_sub(3);
    if t_lo + 4 < t_hi {
        let mut best: Option<(f64, usize, usize)> = None; // (|amp|, lead, peak)
        for (li, med) in medians.iter().enumerate() {
            let b = iso(med);
            if let Some(p) = (t_lo..t_hi).max_by(|a, c| (med[*a] - b).abs().total_cmp(&(med[*c] - b).abs())) {
                let amp = (med[p] - b).abs();
                if best.is_none_or(|(a, _, _)| amp > a) {
                    best = Some((amp, li, p));
                }
            }
        }
        if let Some((amp, li, tp)) = best
            && amp > 50.0
        {
            // Smooth (18 ms moving mean) so noise does not steepen the tangent.
            let raw = &medians[li];
            let h = (0.009 * fs) as usize;
            let smooth: Vec<f64> = (0..len)
                .map(|k| {
                    let lo = k.saturating_sub(h);
                    let hi = (k + h + 1).min(len);
                    raw[lo..hi].iter().sum::<f64>() / (hi - lo) as f64
                })
                .collect();
            let med = &smooth;
            let b = iso(med);
            let sign = (med[tp] - b).signum();
            let steepest = (tp..t_hi).max_by(|a, c| {
                let sa = -(med[a + 1] - med[a - 1]) * sign;
                let sc = -(med[c + 1] - med[c - 1]) * sign;
                sa.total_cmp(&sc)
            });
            if let Some(k) = steepest {
                let slope = (med[k + 1] - med[k - 1]) / 2.0;
                if slope.abs() > 1e-9 {
                    let tend = (k as f64 + (b - med[k]) / slope).clamp(tp as f64, len as f64);
                    let qt = tend - onset as f64;
                    m.qt_ms = Some(ms(qt));
                    let qtc = qt / fs / (rr / fs).sqrt();
                    m.qtc_ms = Some((qtc * 1000.0).round() as u32);
                }
            }
        }
    }

    // P onset on lead II.
    let Some(ii_at) = usable.iter().position(|l| l.name == LeadName::II) else {
        return m;
    };
    let med = &medians[ii_at];
    let b = iso(med);
    let p_hi = onset.saturating_sub((0.03 * fs) as usize);
    if p_hi > 2
        && let Some(pp) = (0..p_hi).max_by(|a, c| (med[*a] - b).total_cmp(&(med[*c] - b)))
    {
        let amp = med[pp] - b;
        if amp > 40.0 {
            let mut k = pp;
            while k > 0 && med[k - 1] - b > 0.15 * amp {
                k -= 1;
            }
            m.pr_ms = Some(ms((onset - k) as f64));
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecg::synthetic_ecg;

    #[test]
    fn heart_rate_within_3_bpm() {
        for (seed, hr) in [(1, 60), (2, 75), (3, 120), (4, 45), (5, 150)] {
            let ecg = synthetic_ecg(seed, hr, 10);
            let m = measure(&ecg);
            let got = m.heart_rate_bpm.unwrap();
            assert!(got.abs_diff(hr) <= 3, "hr {hr}: measured {got} ({m:?})");
            let rr = 60_000 / hr;
            assert!(m.rr_ms.unwrap().abs_diff(rr) <= 25, "{m:?}");
        }
    }

    #[test]
    fn intervals_are_plausible_and_track_rate() {
        for hr in [60u32, 75, 120] {
            let m = measure(&synthetic_ecg(9, hr, 10));
            let rr_s = 60.0 / f64::from(hr);
            let qt = (400.0 * rr_s.sqrt()).round() as u32;
            let qrs = m.qrs_ms.unwrap();
            let pr = m.pr_ms.unwrap();
            let got_qt = m.qt_ms.unwrap();
            assert!((70..=115).contains(&qrs), "hr {hr} {m:?}");
            assert!((130..=210).contains(&pr), "hr {hr} {m:?}");
            assert!(got_qt.abs_diff(qt) <= 30, "hr {hr} expected QT {qt} {m:?}");
            assert!(m.qtc_ms.unwrap().abs_diff(400) <= 40, "hr {hr} {m:?}");
        }
    }

    #[test]
    fn flat_line_has_no_measurements() {
        let mut ecg = synthetic_ecg(1, 60, 4);
        for l in &mut ecg.leads {
            l.samples_uv.iter_mut().for_each(|s| *s = 0);
        }
        assert_eq!(measure(&ecg), Measurements::default());
    }
}
