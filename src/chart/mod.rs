//! Chart drawing with plotters, generic over the backend: the page draws into an SVG
//! string, and native tests draw the same charts and inspect the SVG.
//!
//! Labels are event text (actor names, service names) and so attacker-influenced; the SVG
//! backend escapes text, and a test below holds it to that.

use crate::core::query::Timeline;
use crate::core::time::format_time;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Colour of write (mutating) events.
pub const WRITE: RGBColor = RGBColor(0xE0, 0x7A, 0x1F);
/// Colour of read-only events.
pub const READ: RGBColor = RGBColor(0x3B, 0x82, 0xC4);
/// Colour of plain count bars.
pub const BAR: RGBColor = RGBColor(0x2F, 0x9E, 0x8F);
const AXIS: RGBColor = RGBColor(0x88, 0x88, 0x88);

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Shortens a label to `max` characters with an ellipsis.
pub fn truncate(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_owned()
    } else {
        let mut s: String = label.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// Horizontal bars, largest first from the top.
pub fn bar_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    bars: &[(String, u64)],
    color: RGBColor,
) -> DrawResult<DB> {
    area.fill(&TRANSPARENT)?;
    if bars.is_empty() {
        return Ok(());
    }
    let n = bars.len() as u32;
    let max = bars.iter().map(|b| b.1).max().unwrap_or(1).max(1);
    // Labels get about 30% of the width; longer ones are cut with an ellipsis.
    let width = area.dim_in_pixel().0;
    let label_area = width * 3 / 10;
    let labels: Vec<String> = bars
        .iter()
        .map(|(l, _)| truncate(l, (label_area / 7).max(8) as usize))
        .collect();
    let mut chart = ChartBuilder::on(area)
        .margin(8)
        .x_label_area_size(24)
        .y_label_area_size(label_area)
        .build_cartesian_2d(0u64..max + max / 20 + 1, (0u32..n).into_segmented())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .bold_line_style(AXIS.mix(0.25))
        .light_line_style(TRANSPARENT)
        .axis_style(AXIS)
        .y_labels(n as usize)
        .x_labels(5)
        .label_style(("sans-serif", 12))
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => (n - 1)
                .checked_sub(*i)
                .and_then(|k| labels.get(k as usize))
                .cloned()
                .unwrap_or_default(),
            _ => String::new(),
        })
        .x_label_formatter(&|v| thousands(*v))
        .draw()?;
    chart.draw_series(
        Histogram::horizontal(&chart)
            .style(color.filled())
            .margin(3)
            .data(
                bars.iter()
                    .enumerate()
                    .map(|(i, (_, v))| (n - 1 - i as u32, *v)),
            ),
    )?;
    Ok(())
}

/// Events over time as stacked columns: writes at the bottom, reads on top.
pub fn timeline_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    t: &Timeline,
) -> DrawResult<DB> {
    area.fill(&TRANSPARENT)?;
    if t.reads.is_empty() {
        return Ok(());
    }
    let n = t.reads.len();
    let end = t.bin_start(n);
    let max = (0..n)
        .map(|i| t.reads[i] + t.writes[i])
        .max()
        .unwrap_or(1)
        .max(1);
    let mut chart = ChartBuilder::on(area)
        .margin(8)
        .x_label_area_size(28)
        .y_label_area_size(56)
        .build_cartesian_2d(t.start..end, 0u64..max + max / 10 + 1)?;
    let span = end - t.start;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .bold_line_style(AXIS.mix(0.25))
        .light_line_style(TRANSPARENT)
        .axis_style(AXIS)
        .x_labels(6)
        .y_labels(5)
        .label_style(("sans-serif", 12))
        .x_label_formatter(&|v| {
            let s = format_time(*v);
            if span > 2 * 86_400 {
                format!("{} {}", &s[5..10], &s[11..16])
            } else {
                s[11..16].to_owned()
            }
        })
        .y_label_formatter(&|v| thousands(*v))
        .draw()?;
    let gap = (t.bin / 10).max(0);
    chart.draw_series((0..n).filter(|&i| t.writes[i] > 0).map(|i| {
        let x0 = t.bin_start(i);
        Rectangle::new([(x0, 0), (x0 + t.bin - gap, t.writes[i])], WRITE.filled())
    }))?;
    chart.draw_series((0..n).filter(|&i| t.reads[i] > 0).map(|i| {
        let x0 = t.bin_start(i);
        let w = t.writes[i];
        Rectangle::new([(x0, w), (x0 + t.bin - gap, w + t.reads[i])], READ.filled())
    }))?;
    Ok(())
}

/// `1234567` → `1,234,567`.
pub fn thousands(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Draws into an SVG string of the given size.
pub fn to_svg<F>(width: u32, height: u32, draw: F) -> Result<String, String>
where
    F: FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult<SVGBackend<'static>>,
{
    let mut out = String::new();
    {
        let backend = SVGBackend::with_string(&mut out, (width, height));
        let area = backend.into_drawing_area();
        draw(&area).map_err(|e| e.to_string())?;
        area.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_escape_hostile_labels() {
        let bars = vec![
            ("<script>alert(1)</script>".to_owned(), 10),
            ("alice".to_owned(), 3),
        ];
        let svg = to_svg(600, 200, |a| bar_chart(a, &bars, BAR)).unwrap();
        assert!(svg.contains("<svg"));
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("alice"));
        assert!(svg.matches("<rect").count() >= 2);
    }

    #[test]
    fn timeline_draws_both_kinds() {
        let t = Timeline {
            start: 1_700_000_000,
            bin: 3600,
            reads: vec![1, 0, 5],
            writes: vec![2, 3, 0],
        };
        let svg = to_svg(800, 200, |a| timeline_chart(a, &t)).unwrap();
        // One rectangle per non-zero count, plus the background.
        assert!(svg.matches("<rect").count() >= 4, "{svg}");
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(truncate("abcdef", 4), "abc…");
    }
}
