// wrong fix: keeps f64 dollars and rounds to the cent after every operation: each result is still a binary approximation, and 1.005 is stored as 1.00499999999999989, so rounding it gives 1.00
// money1: keep money in integer cents, never in floating point.
//
// The shop keeps prices as `f64` dollars. Most decimal amounts (0.10, 0.29, 19.99) have no
// exact binary value, so the errors pile up: a thousand 0.01s add up to 9.999999999999831,
// which shows as 9.99, and 2.01 × 50% is 1.00499999999999989, which rounds to 1.00 instead
// of 1.01. Represent an amount as a whole number of cents (`i64`, the currency's minor
// unit): parse the text straight into cents, do integer arithmetic, round once where the
// rule says so (half up, on percentages), and hand out a split's leftover cents.

/// An amount of money. TODO: an `f64` of dollars can't hold most amounts exactly.
type Amount = f64;

/// Parses "12.34", "12.3" or "12" (no sign, at most two decimals); `None` if it isn't one.
fn parse_amount(text: &str) -> Option<Amount> {
    let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
    let plain = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if !plain || decimals > 2 {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    (value.is_finite() && value >= 0.0).then_some(value)
}

/// Formats an amount with exactly two decimals: "12.30".
fn format_amount(amount: Amount) -> String {
    let cents = (amount * 100.0).round() as i64;
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn add(a: Amount, b: Amount) -> Amount {
    round_to_cent(a + b)
}

fn round_to_cent(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `basis_points` hundredths of a percent of `amount` (290 is 2.90%), rounded to the cent,
/// half a cent rounding up.
fn percent_of(amount: Amount, basis_points: u32) -> Amount {
    round_to_cent(amount * f64::from(basis_points) / 10_000.0)
}

/// Splits `amount` into `parts` (at least 1) shares that add up to exactly `amount`, the
/// larger shares first, no two shares differing by more than a cent.
fn split(amount: Amount, parts: usize) -> Vec<Amount> {
    let share = (amount / parts as f64 * 100.0).floor() / 100.0;
    let mut shares = vec![share; parts];
    let mut leftover = round_to_cent(amount - share * parts as f64);
    for s in shares.iter_mut() {
        if leftover <= 0.0 {
            break;
        }
        *s = round_to_cent(*s + 0.01);
        leftover = round_to_cent(leftover - 0.01);
    }
    shares
}

fn main() {
    let coffee = parse_amount("3.10").unwrap();
    let cake = parse_amount("4.25").unwrap();
    let total = add(coffee, cake);
    let tip = percent_of(total, 1_000);
    let shares: Vec<String> = split(add(total, tip), 3)
        .into_iter()
        .map(format_amount)
        .collect();
    println!(
        "total {}, tip {}, shares {shares:?}",
        format_amount(total),
        format_amount(tip)
    );
}
