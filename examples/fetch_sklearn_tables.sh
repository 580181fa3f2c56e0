#!/usr/bin/env bash
# Real tables for examples/tabular, as CSV files with a header: the small data sets that
# Debian's python3-sklearn ships (diabetes: regression; wine, breast cancer: classification).
# The package is downloaded, not installed (no Python needed), unless it is installed already.
# None of these tables has missing values, so 10% of the feature values of each are blanked,
# the same cells every time (a fixed-seed Park-Miller generator, the same in any awk), for
# the example to show imputation on a real table; the *_complete.csv files keep them all.
#
#   examples/fetch_sklearn_tables.sh DIR
set -euo pipefail
out=${1:?usage: $0 DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
src=/usr/lib/python3/dist-packages/sklearn/datasets/data
if [[ ! -e $src/wine_data.csv ]]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download python3-sklearn >/dev/null 2>"$tmp/apt.log") || { cat "$tmp/apt.log" >&2; false; } ||
    { echo "fetch_sklearn_tables: apt-get download python3-sklearn failed (no network, or no Debian archive)" >&2; exit 1; }
  dpkg-deb -x "$tmp"/python3-sklearn_*.deb "$tmp/x"
  src=$tmp/x$src
fi

for f in diabetes_data_raw.csv.gz diabetes_target.csv.gz wine_data.csv breast_cancer.csv; do
  [[ -r $src/$f ]] || { echo "fetch_sklearn_tables: $src/$f is missing (another scikit-learn layout?)" >&2; exit 1; }
done

# blank FILE.csv: FILE_complete.csv as given, FILE.csv with 10% of the feature fields
# (every column but the last) emptied.
blank() {
  awk -F, -v OFS=, 'BEGIN { s = 20261204 }
    NR == 1 { print; next }
    { for (i = 1; i < NF; i++) { s = (s * 16807) % 2147483647; if (s / 2147483647 < 0.1) $i = "" } print }' \
    "$out/$1_complete.csv" >"$out/$1.csv"
}

{
  echo "age,sex,bmi,bp,s1,s2,s3,s4,s5,s6,progression"
  paste -d, <(gzip -dc "$src/diabetes_data_raw.csv.gz" | awk -v OFS=, '{ $1 = $1; print }') \
    <(gzip -dc "$src/diabetes_target.csv.gz" | awk '{ printf "%g\n", $1 }')
} >"$out/diabetes_complete.csv"
{
  echo "alcohol,malic_acid,ash,alcalinity_of_ash,magnesium,total_phenols,flavanoids,nonflavanoid_phenols,proanthocyanins,color_intensity,hue,od280_od315,proline,class"
  tail -n +2 "$src/wine_data.csv"
} >"$out/wine_complete.csv"
{
  printf 'f%d,' $(seq 0 29)
  echo class
  tail -n +2 "$src/breast_cancer.csv"
} >"$out/breast_cancer_complete.csv"
for t in diabetes wine breast_cancer; do
  blank "$t"
  echo "$out/$t.csv: $(($(wc -l <"$out/$t.csv") - 1)) rows, $(awk -F, 'NR > 1 { for (i = 1; i < NF; i++) m += ($i == "") } END { print m }' "$out/$t.csv") blanked values"
done
