//! `sanyi bench residents-csv`: a CSV of synthetic residents living in the demo prefecture's
//! villages, the input of the import and lookup benchmarks of docs/PERFORMANCE.md.

use std::path::PathBuf;

use anyhow::Context;

use sanyi_sim::DemoParams;

/// Writes `count` residents generated with `seed` to `out` (`-` for standard output).
pub fn run(count: usize, seed: u64, out: PathBuf) -> anyhow::Result<()> {
    let w = sanyi_sim::generate(&DemoParams {
        residents: count,
        seed,
        ..DemoParams::default()
    });
    let sink: Box<dyn std::io::Write> = if out.as_os_str() == "-" {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(std::fs::File::create(&out).with_context(|| format!("cannot create {}", out.display()))?)
    };
    let mut csv = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, sink));
    csv.write_record([
        "id_number",
        "name",
        "phone",
        "village_code",
        "address",
        "household_no",
        "household_role",
    ])?;
    let households: std::collections::HashMap<&str, &str> = w.households.iter().map(|h| (h.id.as_str(), h.household_no.as_str())).collect();
    for r in &w.residents {
        let household = r.household_id.as_deref().and_then(|h| households.get(h)).copied().unwrap_or("");
        csv.write_record([
            r.id_number.as_str(),
            &r.name,
            r.phone.as_deref().unwrap_or(""),
            &r.village_code,
            &r.address,
            household,
            r.household_role.as_deref().unwrap_or(""),
        ])?;
    }
    csv.flush()?;
    Ok(())
}
