//! CSV parsing: the bundled Iris file, headers, quoting, missing values, errors.

use ferrograd_nn::data::csv::{parse_csv, Column, CsvOptions};

#[test]
fn iris_parses_into_four_numeric_columns_and_a_categorical_label() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/iris/iris.data"
    ))
    .unwrap();
    let table = parse_csv(
        &text,
        &CsvOptions {
            header: false,
            ..CsvOptions::default()
        },
    )
    .unwrap();
    assert_eq!(table.rows, 150);
    assert_eq!(table.names, vec!["c0", "c1", "c2", "c3", "c4"]);
    match &table.columns[0] {
        Column::Numeric(v) => assert_eq!(&v[..2], &[5.1, 4.9]),
        other => panic!("expected numeric, got {other:?}"),
    }
    match &table.columns[4] {
        Column::Categorical { codes, categories } => {
            assert_eq!(
                categories,
                &vec!["Iris-setosa", "Iris-versicolor", "Iris-virginica"]
            );
            assert_eq!((codes[0], codes[50], codes[149]), (0, 1, 2));
        }
        other => panic!("expected categorical, got {other:?}"),
    }
}

#[test]
fn headers_quotes_and_missing_values() {
    let text = "city,\"temp, max\",note\r\n\"New York, NY\",21.5,\"said \"\"hi\"\"\"\nParis,NA,x\n";
    let table = parse_csv(text, &CsvOptions::default()).unwrap();
    assert_eq!(table.names, vec!["city", "temp, max", "note"]);
    match &table.columns[1] {
        Column::Numeric(v) => assert!(v[0] == 21.5 && v[1].is_nan()),
        other => panic!("{other:?}"),
    }
    match &table.columns[2] {
        Column::Categorical { categories, .. } => assert_eq!(categories[0], "said \"hi\""),
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_tables_are_errors_naming_the_line() {
    let err = parse_csv("a,b\n1,2\n3\n", &CsvOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 3: 1 fields, expected 2"), "{err}");
    let err = parse_csv("a\n\"open\n", &CsvOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("unterminated"), "{err}");
    let err = parse_csv("k\nx\n\n?\n", &CsvOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 4: missing value in categorical column 'k'"),
        "{err}"
    );
    let ok = parse_csv(
        "k\nx\n?\n",
        &CsvOptions {
            missing_as_category: true,
            ..CsvOptions::default()
        },
    )
    .unwrap();
    assert_eq!(ok.rows, 2);
    assert!(parse_csv("\n\n", &CsvOptions::default()).is_err());
}
