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
    let value: f64 = text.parse().ok()?;
    (value.is_finite() && value >= 0.0).then_some(value)
}

/// Formats an amount with exactly two decimals: "12.30".
fn format_amount(amount: Amount) -> String {
    let cents = (amount * 100.0) as i64;
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn add(a: Amount, b: Amount) -> Amount {
    a + b
}

/// `basis_points` hundredths of a percent of `amount` (290 is 2.90%), rounded to the cent,
/// half a cent rounding up.
fn percent_of(amount: Amount, basis_points: u32) -> Amount {
    amount * f64::from(basis_points) / 10_000.0
}

/// Splits `amount` into `parts` (at least 1) shares that add up to exactly `amount`, the
/// larger shares first, no two shares differing by more than a cent.
fn split(amount: Amount, parts: usize) -> Vec<Amount> {
    vec![amount / parts as f64; parts]
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;

    fn amount(text: &str) -> Amount {
        parse_amount(text).unwrap_or_else(|| panic!("{text:?} is a valid amount"))
    }

    fn formatted(amounts: Vec<Amount>) -> Vec<String> {
        amounts.into_iter().map(format_amount).collect()
    }

    #[test]
    fn amounts_survive_parsing_and_formatting() {
        for text in [
            "0.00",
            "0.01",
            "0.29",
            "0.57",
            "1.15",
            "19.99",
            "100.00",
            "12345678.90",
        ] {
            assert_eq!(
                format_amount(amount(text)),
                text,
                "{text} must come back as {text}: an f64 holds most decimal amounts only \
                 approximately (0.29 is 0.28999999999999998), and cutting to cents loses one"
            );
        }
        assert_eq!(
            format_amount(amount("12.3")),
            "12.30",
            "12.3 is 12 dollars 30 cents"
        );
        assert_eq!(format_amount(amount("7")), "7.00", "7 is 7 dollars");
    }

    #[test]
    fn what_is_not_an_amount_in_cents_is_rejected() {
        for text in [
            "", "abc", "-1.00", "1.005", "0.001", "1e3", "NaN", "inf", "1.2.3",
        ] {
            assert!(
                parse_amount(text).is_none(),
                "{text:?} must be rejected: an amount is digits with at most two decimals \
                 (a third decimal is a fraction of a cent that can't be paid)"
            );
        }
    }

    #[test]
    fn sums_are_exact_to_the_cent() {
        assert_eq!(
            format_amount(add(amount("0.10"), amount("0.20"))),
            "0.30",
            "0.10 + 0.20 is 0.30"
        );
        assert_eq!(
            format_amount(add(amount("0.10"), amount("0.70"))),
            "0.80",
            "0.10 + 0.70 is 0.80"
        );
        let mut total = amount("0");
        for _ in 0..1000 {
            total = add(total, amount("0.01"));
        }
        assert_eq!(
            format_amount(total),
            "10.00",
            "a thousand payments of 0.01 make 10.00: in f64 they add up to \
             9.999999999999831, and each error is carried into the next sum"
        );
    }

    #[test]
    fn percentages_round_half_a_cent_up() {
        for (base, basis_points, expected) in [
            ("10.00", 290, "0.29"),
            ("2.01", 5_000, "1.01"),
            ("0.57", 5_000, "0.29"),
            ("8.65", 5_000, "4.33"),
            ("0.70", 150, "0.01"),
            ("19.99", 10_000, "19.99"),
            ("0.03", 1_000, "0.00"),
        ] {
            assert_eq!(
                format_amount(percent_of(amount(base), basis_points)),
                expected,
                "{}% of {base} is {expected}: from half a cent up, round up. Integer division \
                 truncates instead; and in f64, 2.01 × 50% is 1.00499999999999989, just below \
                 the half cent, so rounding a float (at the end or after every step) goes down",
                f64::from(basis_points) / 100.0
            );
        }
    }

    #[test]
    fn a_split_neither_loses_nor_invents_a_cent() {
        for (total, parts, expected) in [
            ("100.00", 3, vec!["33.34", "33.33", "33.33"]),
            ("2.01", 2, vec!["1.01", "1.00"]),
            ("0.05", 3, vec!["0.02", "0.02", "0.01"]),
            ("0.01", 2, vec!["0.01", "0.00"]),
            ("90.00", 4, vec!["22.50", "22.50", "22.50", "22.50"]),
        ] {
            assert_eq!(
                formatted(split(amount(total), parts)),
                expected,
                "{total} split {parts} ways: the shares must add up to exactly {total}, so \
                 the leftover cents go, one each, to the first shares"
            );
        }
    }

    #[test]
    fn large_amounts_stay_exact() {
        // 2^53 + 1 cents: past the last integer an f64 holds exactly. Ledgers in currencies
        // with small units, or in fractions of a cent, get there much sooner.
        let big = amount("90071992547409.93");
        assert_eq!(
            format_amount(big),
            "90071992547409.93",
            "9,007,199,254,740,993 cents must stay exact: an f64 has 53 bits of mantissa \
             and holds it as ...994 (an i64 of cents is exact up to 2^63)"
        );
        assert_eq!(
            format_amount(add(big, amount("0.01"))),
            "90071992547409.94",
            "adding a cent to 9,007,199,254,740,993 cents must give ...994"
        );
    }
}
