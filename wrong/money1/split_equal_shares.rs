// wrong fix: uses integer cents but splits into equal shares by integer division: 100.00 / 3 gives three 33.33, and the leftover cent disappears
// money1: keep money in integer cents, never in floating point.
//
// The shop keeps prices as `f64` dollars. Most decimal amounts (0.10, 0.29, 19.99) have no
// exact binary value, so the errors pile up: a thousand 0.01s add up to 9.999999999999831,
// which shows as 9.99, and 2.01 × 50% is 1.00499999999999989, which rounds to 1.00 instead
// of 1.01. Represent an amount as a whole number of cents (`i64`, the currency's minor
// unit): parse the text straight into cents, do integer arithmetic, round once where the
// rule says so (half up, on percentages), and hand out a split's leftover cents.

/// An amount of money, in whole cents (the currency's minor unit).
type Amount = i64;

/// Parses "12.34", "12.3" or "12" (no sign, at most two decimals); `None` if it isn't one.
fn parse_amount(text: &str) -> Option<Amount> {
    let (units, fraction) = match text.split_once('.') {
        Some((units, fraction)) => (units, fraction),
        None => (text, "00"),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(units) || !all_digits(fraction) || fraction.len() > 2 {
        return None;
    }
    let units: i64 = units.parse().ok()?;
    // "12.3" means 30 cents, not 3.
    let cents: i64 = format!("{fraction:0<2}").parse().ok()?;
    units.checked_mul(100)?.checked_add(cents)
}

/// Formats an amount with exactly two decimals: "12.30".
fn format_amount(amount: Amount) -> String {
    format!("{}.{:02}", amount / 100, amount % 100)
}

fn add(a: Amount, b: Amount) -> Amount {
    a + b
}

/// `basis_points` hundredths of a percent of `amount` (290 is 2.90%), rounded to the cent,
/// half a cent rounding up.
fn percent_of(amount: Amount, basis_points: u32) -> Amount {
    // In i128 so that the product can't overflow; + 5000 rounds half up (amounts are >= 0).
    let scaled = i128::from(amount) * i128::from(basis_points);
    ((scaled + 5_000) / 10_000) as Amount
}

/// Splits `amount` into `parts` (at least 1) shares that add up to exactly `amount`, the
/// larger shares first, no two shares differing by more than a cent.
fn split(amount: Amount, parts: usize) -> Vec<Amount> {
    vec![amount / parts as i64; parts]
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
