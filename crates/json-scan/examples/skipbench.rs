fn main() {
    let path = std::env::args().nth(1).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let start = bytes.iter().position(|b| *b == b'{').unwrap();
    let n = 20000;
    let t = std::time::Instant::now();
    let mut total = 0;
    for _ in 0..n {
        total += json_scan::skip_value(std::hint::black_box(&bytes), start).unwrap();
    }
    let el = t.elapsed();
    println!(
        "{} bytes: {:?} per skip, {:.2} ns/byte ({})",
        bytes.len(),
        el / n,
        el.as_nanos() as f64 / n as f64 / bytes.len() as f64,
        total
    );
    let raw = json_scan::Raw::document(&bytes).unwrap();
    let t = std::time::Instant::now();
    let mut count = 0;
    for _ in 0..n {
        for m in raw.members().unwrap() {
            let _ = std::hint::black_box(m.unwrap());
            count += 1;
        }
    }
    println!(
        "top-level members: {:?} per walk ({count})",
        t.elapsed() / n
    );
}
