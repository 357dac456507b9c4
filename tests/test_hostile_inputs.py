"""Hostile inputs, across the CLI and the API (issue 13).

Every case asserts the exact error text, the exit status (2 for the CLI), that no output
which existed before was changed, and that no temporary file was left behind. Categories:
bad numeric options, bad output paths, damaged or misleading input tables, damaged graph
files, and the same faults through the Python API. A few cases check that a repair is
*reported* (printed) rather than done silently.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geodata.validation import DialectGraphError
from gnn.cli import main

OLD = b"old output, must survive\n"
OUTPUTS = ("o.csv", "o.json", "t.nwk", "g.gpkg", "r.md")


# ---------------------------------------------------------------------------------------
# inputs, written once
# ---------------------------------------------------------------------------------------
SITES = "id,latitude,longitude,group\na,30.0,110.0,Wu\nb,31.0,111.0,Wu\nc,32.0,112.5,Min\n" \
        "d,30.5,113.0,Min\n"
SURVEY = "site,item,value\na,x,1\nb,x,1\nc,x,0\nd,x,0\na,y,p\nb,y,q\nc,y,q\nd,y,q\n"
MATRIX = ",a,b,c,d\na,0,1,2,2\nb,1,0,2,2\nc,2,2,0,1\nd,2,2,1,0\n"

TEXT_INPUTS = {
    "sites.csv": SITES,
    "survey.csv": SURVEY,
    "m.csv": MATRIX,
    "empty.csv": "",
    "header_only.csv": "id,latitude,longitude\n",
    "dup_header.csv": "id,latitude,latitude,longitude\na,1,2,3\n",
    "blank_header.csv": "id,,latitude,longitude\na,x,30,110\n",
    "ragged.csv": "id,latitude,longitude\na,30,110,extra,more\nb,31,111\n",
    "area.csv": SITES.replace("group", "area_km2"),
    "site_id.csv": SITES.replace("group", "site_id"),
    "geometry.csv": SITES.replace("group", "geometry"),
    "feat.csv": SITES.replace("group", "feat__x"),
    "lat_clash.csv": "id,lat,lon,latitude\na,30,110,x\n",
    "lat95.csv": "id,latitude,longitude\na,95,110\nb,30,111\n",
    "swapped.csv": "id,latitude,longitude\nwuxi,120.3,31.5\nbj,116.4,39.9\n",
    "one_swapped.csv": "id,latitude,longitude\nwuxi,120.3,31.5\nbj,39.9,116.4\n"
                       "sh,31.2,121.5\n",
    "na_coord.csv": "id,latitude,longitude\na,NA,110\nb,30,111\n",
    "blank_id.csv": "id,latitude,longitude\n,30,110\nb,30,111\n",
    "dup_id.csv": "id,latitude,longitude\na,30,110\na,31,111\n",
    "text_coord.csv": "id,latitude,longitude\na,thirty,110\nb,30,111\n",
    "inf_coord.csv": "id,latitude,longitude\na,inf,110\nb,30,111\n",
    "survey_blank.csv": "site,item,value\na,x,\nb,x,\nc,x,  \n",
    "survey_nan.csv": "site,item,value\na,x,NaN\nb,x,NA\nc,x,N/A\nd,x,nan\n",
    "survey_unknown.csv": "site,item,value\na,x,1\nzz,x,0\n",
    "survey_cols.csv": "point,feature,answer\na,x,1\n",
    "survey_na_ok.csv": SURVEY + "a,z,1\nb,z,NaN\nc,z,1\nd,z,0\n",
    "sites_na_group.csv": SITES.replace("Min\nd", "NA\nd"),
    "m_text.csv": MATRIX.replace("b,1,0,2,2", "b,1,0,far,2"),
    "m_nonsquare.csv": ",a,b\na,0,1\nb,1,0\nc,2,2\n",
    "m_asym.csv": MATRIX.replace("b,1,0,2,2", "b,3,0,2,2"),
    "m_order.csv": ",a,b,c,d\nb,1,0,2,2\na,0,1,2,2\nc,2,2,0,1\nd,2,2,1,0\n",
    "m_nan.csv": MATRIX.replace("b,1,0,2,2", "b,1,0,NA,2"),
    "m_neg.csv": ",a,b\na,0,-1\nb,-1,0\n",
    "m_one_col.csv": "a\n1\n",
    "not_a.gpkg": "this is not a GeoPackage\n",
    "tree_ref_bad.nwk": "((a,b),(c,\n",
}
BINARY_INPUTS = {
    "latin1.csv": "id,latitude,longitude\nsão,30,110\n".encode("latin-1"),
    "binary.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe",
}


def _graph_files(folder: Path) -> None:
    """A real kNN graph of 12 Szeto sites, and damaged copies of it."""
    import sqlite3

    import pyogrio

    from geodata import load_dataset
    from geodata.graph.dialect_graph import DialectGraph

    sites, _ = load_dataset("sinitic_szeto2018")
    graph = DialectGraph.from_sites(sites.iloc[:12], method="knn", k=3, regions=False)
    good = graph.to_file(folder / "graph.gpkg")
    data = bytearray(good.read_bytes())
    for name, edit in (("nan_dist", np.nan), ("neg_dist", -5.0)):
        shutil.copy(good, folder / f"{name}.gpkg")
        edges = pyogrio.read_dataframe(good, layer="edges")
        edges.loc[:1, "distance_km"] = edit
        pyogrio.write_dataframe(edges, folder / f"{name}.gpkg", layer="edges", driver="GPKG")
    shutil.copy(good, folder / "bad_json.gpkg")
    con = sqlite3.connect(folder / "bad_json.gpkg")
    con.execute("UPDATE metadata SET value = '{\"broken' WHERE key = 'meta'")
    con.commit()
    con.close()
    truncated = folder / "truncated.gpkg"
    truncated.write_bytes(bytes(data[: len(data) // 3]))
    header = bytearray(data)
    header[:100] = b"\xde\xad\xbe\xef" * 25  # SQLite header destroyed
    (folder / "garbage.gpkg").write_bytes(bytes(header))
    one_layer = pyogrio.read_dataframe(good, layer="regions")
    pyogrio.write_dataframe(one_layer, folder / "one_layer.gpkg", layer="regions", driver="GPKG")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile_inputs")
    for name, text in TEXT_INPUTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    for name, data in BINARY_INPUTS.items():
        (folder / name).write_bytes(data)
    (folder / "a_folder").mkdir()
    (folder / "a_file").write_text("x")
    _graph_files(folder)
    return folder


@pytest.fixture()
def out(tmp_path) -> Path:
    """An output folder whose files already exist (they must not change)."""
    folder = tmp_path / "out"
    folder.mkdir()
    for name in OUTPUTS:
        (folder / name).write_bytes(OLD)
    (folder / "sub").mkdir()
    return folder


def _check_untouched(out: Path, inputs: Path) -> None:
    for name in OUTPUTS:
        assert (out / name).read_bytes() == OLD, f"{name} was changed"
    leftovers = [p for folder in (out, inputs) for p in folder.rglob(".*")]
    assert not leftovers, f"temporary files left behind: {leftovers}"


# ---------------------------------------------------------------------------------------
# CLI cases
# ---------------------------------------------------------------------------------------
@dataclass
class Case:
    id: str
    argv: str  # {i} = input folder, {o} = output folder
    message: str  # the exact error text (after "error: "), or its start with "..."
    code: int = 2
    notes: list[str] = field(default_factory=list)


def _p(flag: str, rule: str, got: str) -> str:
    return f"`{flag}` must be {rule}; got {got}."


SIM = "simulate --seeds Ma4 --out {o}/o.csv"
ANA = "analyze --dataset sinitic_szeto2018 --json {o}/o.json"
DIST = "distances --sites {i}/sites.csv --survey {i}/survey.csv --out {o}/o.csv"
TREE = "tree --distances {i}/m.csv --out {o}/t.nwk"
BUILD = "build --sites {i}/sites.csv --method knn --k 2 --no-regions --out {o}/g.gpkg"
EVAL = "evaluate --graph {i}/graph.gpkg"
ATTR = "attribution --dataset sinitic_szeto2018"
INT1 = "an integer >= 1"
INT0 = "an integer >= 0"

NUMERIC = [
    Case("sim-k0", SIM + " --k 0", _p("--k", INT1, "0")),
    Case("sim-steps-neg", SIM + " --steps -3", _p("--steps", INT1, "-3")),
    Case("sim-steps-0", SIM + " --steps 0", _p("--steps", INT1, "0")),
    Case("sim-rate-neg", SIM + " --rate -1", _p("--rate", "a finite number > 0", "-1.0")),
    Case("sim-rate-0", SIM + " --rate 0", _p("--rate", "a finite number > 0", "0.0")),
    Case("sim-rate-inf", SIM + " --rate inf", _p("--rate", "a finite number > 0", "inf")),
    Case("sim-decay-nan", SIM + " --decay nan", _p("--decay", "a finite number >= 0", "nan")),
    Case("sim-decay-neg", SIM + " --decay -2", _p("--decay", "a finite number >= 0", "-2.0")),
    Case("sim-prob-high", SIM + " --model cascade --probability 1.5",
         _p("--probability", "a finite number >= 0 and <= 1", "1.5")),
    Case("sim-prob-neg", SIM + " --model si --probability -0.1",
         _p("--probability", "a finite number >= 0 and <= 1", "-0.1")),
    Case("sim-conformity-neg", SIM + " --conformity -1",
         _p("--conformity", "a finite number >= 0", "-1.0")),
    Case("sim-noise-2", SIM + " --noise 2", _p("--noise", "a finite number >= 0 and <= 1", "2.0")),
    Case("sim-update-0", SIM + " --update-fraction 0",
         _p("--update-fraction", "a finite number > 0 and <= 1", "0.0")),
    Case("sim-seed-neg", SIM + " --seed -1",
         _p("--seed", "an integer >= 0 and <= 4.29497e+09", "-1")),
    Case("sim-three", SIM + " --steps -3 --decay nan --rate -1",
         "3 problems:\n- " + _p("--steps", INT1, "-3") + "\n- "
         + _p("--rate", "a finite number > 0", "-1.0") + "\n- "
         + _p("--decay", "a finite number >= 0", "nan")),
    Case("ana-bins-0", ANA + " --bins 0", _p("--bins", "an integer >= 2", "0")),
    Case("ana-k-0", ANA + " --k 0", _p("--k", INT1, "0")),
    Case("ana-perm-neg", ANA + " --permutations -5", _p("--permutations", INT1, "-5")),
    Case("ana-nboot-neg", ANA + " --n-boot -1", _p("--n-boot", INT1, "-1")),
    Case("ana-nclusters-0", ANA + " --n-clusters 0", _p("--n-clusters", INT1, "0")),
    Case("ana-minshared-0", ANA + " --min-shared 0", _p("--min-shared", INT1, "0")),
    Case("ana-three", ANA + " --bins 0 --k 0 --permutations -5",
         "3 problems:\n- " + _p("--min-shared", INT1, "1")[:0] + _p("--k", INT1, "0") + "\n- "
         + _p("--bins", "an integer >= 2", "0") + "\n- " + _p("--permutations", INT1, "-5")),
    Case("dist-minshared-0", DIST + " --min-shared 0", _p("--min-shared", INT1, "0")),
    Case("tree-bootstrap-neg", TREE + " --bootstrap -1", _p("--bootstrap", INT0, "-1")),
    Case("tree-seed-neg", TREE + " --seed -4",
         _p("--seed", "an integer >= 0 and <= 4.29497e+09", "-4")),
    Case("build-k-0", BUILD.replace("--k 2", "--k 0"), _p("--k", INT1, "0")),
    Case("build-threshold-0", BUILD + " --threshold-km 0",
         _p("--threshold-km", "a finite number > 0", "0.0")),
    Case("build-threshold-nan", BUILD + " --threshold-km nan",
         _p("--threshold-km", "a finite number > 0", "nan")),
    Case("build-crossing-neg", BUILD + " --max-crossing-km -5",
         _p("--max-crossing-km", "a finite number >= 0", "-5.0")),
    Case("build-crossing-inf", BUILD + " --max-crossing-km inf",
         _p("--max-crossing-km", "a finite number >= 0", "inf")),
    Case("eval-folds-1", EVAL + " --folds 1", _p("--folds", "an integer >= 2", "1")),
    Case("eval-buffer-neg", EVAL + " --buffer-km -1",
         _p("--buffer-km", "a finite number >= 0", "-1.0")),
    Case("eval-buffer-nan", EVAL + " --buffer-km nan",
         _p("--buffer-km", "a finite number >= 0", "nan")),
    Case("eval-seeds-0", EVAL + " --seeds 0", _p("--seeds", INT1, "0")),
    Case("eval-epochs-0", EVAL + " --max-epochs 0", _p("--max-epochs", INT1, "0")),
    Case("attr-k-0", ATTR + " --k 0", _p("--k", INT1, "0")),
    Case("attr-kgen-0", ATTR + " --k-gen 0", _p("--k-gen", INT1, "0")),
    Case("attr-mask-high", ATTR + " --mask-rate 1.5",
         _p("--mask-rate", "a finite number >= 0 and <= 1", "1.5")),
    Case("attr-buffer-nan", ATTR + " --buffer-km nan",
         _p("--buffer-km", "a finite number >= 0", "nan")),
    Case("attr-top-0", ATTR + " --top-features 0", _p("--top-features", INT1, "0")),
    Case("demo-seed-neg", "demo --out {o}/demo --seed -1",
         _p("--seed", "an integer >= 0 and <= 4.29497e+09", "-1")),
]

OUTPUT_PATHS = [
    Case("sim-out-dir", "simulate --seeds Ma4 --out {o}/sub",
         "`--out` must name a file to write; '{o}/sub' is a directory. Give a file name "
         "inside it, e.g. '{o}/sub/output.csv'."),
    Case("sim-out-suffix", "simulate --seeds Ma4 --out {o}/h.txt",
         "`--out` must end in .csv; got '{o}/h.txt'. Use a name like '{o}/h.csv'."),
    Case("sim-out-under-file", "simulate --seeds Ma4 --out {o}/o.csv/h.csv",
         "`--out` must lie in a folder; '{o}/o.csv' is a file, so '{o}/o.csv/h.csv' cannot "
         "be created. Choose another output path."),
    Case("dist-out-dir", "distances --dataset sinitic_szeto2018 --out {o}",
         "`--out` must name a file to write; '{o}' is a directory. Give a file name inside "
         "it, e.g. '{o}/output.csv'."),
    Case("ana-json-suffix", "analyze --dataset sinitic_szeto2018 --json {o}/o.csv",
         "`--json` must end in .json; got '{o}/o.csv'. Use a name like '{o}/o.json'."),
    Case("tree-out-suffix", "tree --out {o}/o.csv",
         "`--out` must end in .nwk or .newick or .tree or .tre or .txt; got '{o}/o.csv'. "
         "Use a name like '{o}/o.nwk'."),
    Case("tree-report-suffix", "tree --out {o}/t.nwk --report {o}/r.md",
         "`--report` must end in .json; got '{o}/r.md'. Use a name like '{o}/r.json'."),
    Case("build-out-suffix", BUILD.replace("g.gpkg", "g.shp"),
         "`--out` must end in .gpkg; got '{o}/g.shp'. Use a name like '{o}/g.gpkg'."),
    Case("build-out-dir", BUILD.replace("{o}/g.gpkg", "{o}/sub"),
         "`--out` must name a file to write; '{o}/sub' is a directory. Give a file name "
         "inside it, e.g. '{o}/sub/output.gpkg'."),
    Case("eval-json-suffix", EVAL + " --json {o}/r.txt",
         "`--json` must end in .json; got '{o}/r.txt'. Use a name like '{o}/r.json'."),
    Case("eval-markdown-dir", EVAL + " --markdown {o}/sub",
         "`--markdown` must name a file to write; '{o}/sub' is a directory. Give a file "
         "name inside it, e.g. '{o}/sub/output.md'."),
    Case("demo-out-file", "demo --out {o}/o.csv",
         "`--out` must be a folder for the output files; '{o}/o.csv' is a file. Give a "
         "folder name, e.g. '{o}/o_out'."),
    Case("two-outputs-bad", "tree --out {o}/sub --report {o}/r.md",
         "2 problems:\n- `--out` must name a file to write; '{o}/sub' is a directory. Give a "
         "file name inside it, e.g. '{o}/sub/output.nwk'.\n- `--report` must end in .json; "
         "got '{o}/r.md'. Use a name like '{o}/r.json'."),
]

SD = "distances --survey {i}/survey.csv --out {o}/o.csv --sites "
READ = "a readable CSV/TSV file"
INPUT_TABLES = [
    Case("sites-dir", SD + "{i}/a_folder",
         f"`--sites` must be {READ}; '{{i}}/a_folder' is a directory. Name a file inside it."),
    Case("sites-missing", SD + "{i}/nope.csv",
         f"`--sites` must be {READ}; '{{i}}/nope.csv' does not exist. Check the path."),
    Case("sites-empty", SD + "{i}/empty.csv",
         "`--sites` must be a CSV file with a header row; '{i}/empty.csv' is empty. Check "
         "that the right file was given."),
    Case("sites-header-only", SD + "{i}/header_only.csv",
         "`--sites` must hold at least one site; it has a header and no rows. Check the file."),
    Case("sites-dup-header", SD + "{i}/dup_header.csv",
         "`--sites` must have unique column names; 'latitude' occur(s) more than once in "
         "'{i}/dup_header.csv'. Rename the copies."),
    Case("sites-blank-header", SD + "{i}/blank_header.csv",
         "`--sites` must have a name for every column; column(s) 2 of '{i}/blank_header.csv' "
         "have a blank header (or a row is longer than the header). Name them or remove the "
         "extra cells."),
    Case("sites-ragged", SD + "{i}/ragged.csv",
         "`--sites` must be a UTF-8 CSV file with a header row; reading '{i}/ragged.csv' "
         "failed (Error tokenizing data. C error: Expected 3 fields in line 2, saw 5). Check "
         "the file's format (save it as UTF-8 CSV)."),
    Case("sites-latin1", SD + "{i}/latin1.csv",
         "`--sites` must be a UTF-8 CSV file with a header row; reading '{i}/latin1.csv' "
         "failed (byte b'\\xe3' is not UTF-8 (line 2, which reads as Windows-1252 "
         "(Excel's \"CSV\" on Windows): 'são,30,110', or as Windows-1250 (Excel's \"CSV\" "
         "on Central European Windows): 'săo,30,110')). Check the file's format (save it as "
         "UTF-8 CSV)."),
    Case("sites-binary", SD + "{i}/binary.csv",
         "`--sites` must be a UTF-8 CSV file with a header row; reading '{i}/binary.csv' "
         "failed (byte b'\\x89' is not UTF-8). Check the file's format (save it as UTF-8 "
         "CSV)."),
    *[Case(f"sites-reserved-{c}", SD + f"{{i}}/{f}",
           f"`--sites` has column(s) '{c}' whose names dialectgraph uses for what it computes "
           "itself (the site index, region area, geometry, coordinates, node features); they "
           "would be overwritten or clash when the graph is saved. Rename them (e.g. "
           f"'{c}_source') or drop them.")
      for c, f in (("area_km2", "area.csv"), ("site_id", "site_id.csv"),
                   ("geometry", "geometry.csv"), ("feat__x", "feat.csv"))],
    Case("sites-lat-clash", SD + "{i}/lat_clash.csv --lat-col lat --lon-col lon",
         "`--sites` has column(s) 'latitude' whose names dialectgraph uses for what it "
         "computes itself (the site index, region area, geometry, coordinates, node "
         "features); they would be overwritten or clash when the graph is saved. Rename them "
         "(e.g. 'latitude_source') or drop them."),
    Case("sites-lat-95", SD + "{i}/lat95.csv",
         "`--sites` must hold longitude/latitude in degrees; 1 row has latitude outside "
         "[-90, 90] and 0 rows have longitude outside [-180, 180] (first: site 'a', lat=95, "
         "lon=110). Check the coordinates or the column names."),
    Case("sites-swapped", SD + "{i}/swapped.csv",
         "`--sites` must hold longitude/latitude in degrees; 2 rows have latitude outside "
         "[-90, 90] and 0 rows have longitude outside [-180, 180] (first: site 'wuxi', lat=120.3, "
         "lon=31.5). Did you swap the columns? Swapping them would make every coordinate "
         "valid; pass --lat-col longitude, --lon-col latitude."),
    Case("sites-one-row-swapped", SD + "{i}/one_swapped.csv",
         "`--sites` must hold longitude/latitude in degrees; 1 row has latitude outside "
         "[-90, 90] and 0 rows have longitude outside [-180, 180] (first: site 'wuxi', "
         "lat=120.3, lon=31.5). The other 2 rows are in range, and this one is in range the "
         "other way round: latitude and longitude look swapped ('wuxi'). Swap the two values "
         "in that row (a row swapped within both ranges is looked for once they are right)."),
    Case("sites-na-coord", SD + "{i}/na_coord.csv",
         "`--sites` columns 'latitude'/'longitude' must be numbers in decimal degrees; 1 "
         "site has missing or non-numeric coordinates (first: 'a'; site 'a' has nan/'110'). "
         "Fill them in as decimal degrees (3.5; south and west negative) or as degrees, "
         "minutes and seconds with their hemisphere (3°30′N, 60°23′29″S), which `read_sites` "
         "(the CLI's reader) converts, or remove those sites."),
    Case("sites-text-coord", SD + "{i}/text_coord.csv",
         "`--sites` columns 'latitude'/'longitude' must be numbers in decimal degrees; 1 "
         "site has missing or non-numeric coordinates (first: 'a'; site 'a' has "
         "'thirty'/'110'). Fill them in as decimal degrees (3.5; south and west negative) or "
         "as degrees, minutes and seconds with their hemisphere (3°30′N, 60°23′29″S), which "
         "`read_sites` (the CLI's reader) converts, or remove those sites."),
    Case("sites-blank-id", SD + "{i}/blank_id.csv",
         "`--sites` column 'id' must name every site; 1 row has no id (file line 2). Fill in "
         "the ids."),
    Case("sites-dup-id", SD + "{i}/dup_id.csv",
         "`--sites` column 'id' must hold unique site ids; 1 id occurs more than once ('a'; "
         "'a' on file lines 2, 3). Rename or merge the duplicates."),
    Case("sites-missing-col", SD + "{i}/sites.csv --id-col code",
         "`--sites` must have the column(s) 'code'; it has 'id', 'latitude', 'longitude', "
         "'group'. Name the right column with --id-col/--lat-col/--lon-col."),
    Case("survey-all-blank", "distances --sites {i}/sites.csv --out {o}/o.csv --survey "
         "{i}/survey_blank.csv",
         "`--survey` must hold at least one value; all 3 rows of column 'value' are blank or "
         "spelt as missing (e.g. 'NA', 'NaN'). Check --value-col / value_col and the file."),
    Case("survey-all-nan", "distances --sites {i}/sites.csv --out {o}/o.csv --survey "
         "{i}/survey_nan.csv",
         "`--survey` must hold at least one value; all 4 rows of column 'value' are blank or "
         "spelt as missing (e.g. 'NA', 'NaN'). Check --value-col / value_col and the file."),
    Case("survey-unknown-site", "distances --sites {i}/sites.csv --out {o}/o.csv --survey "
         "{i}/survey_unknown.csv",
         "`--survey` must only name sites that are in `--sites`; 1 unknown site id(s) ('zz') "
         "hold 1 value(s). Add those sites to the sites file or fix the ids."),
    Case("survey-columns", "distances --sites {i}/sites.csv --out {o}/o.csv --survey "
         "{i}/survey_cols.csv",
         "`--survey` must have the column(s) 'site', 'item', 'value'; it has 'point', "
         "'feature', 'answer'. Name the right column with --site-col/--item-col/--value-col."),
    Case("survey-dir", "distances --sites {i}/sites.csv --out {o}/o.csv --survey {i}/a_folder",
         f"`--survey` must be {READ}; '{{i}}/a_folder' is a directory. Name a file inside it."),
    Case("survey-missing-with-sites", "distances --sites {i}/sites.csv --out {o}/o.csv",
         "`--survey` must be given with --sites for this command; got none. Pass --survey "
         "V.csv (long table site, item, value)."),
    Case("tree-m-missing", "tree --distances {i}/nope.csv --out {o}/t.nwk",
         f"`--distances` must be {READ}; '{{i}}/nope.csv' does not exist. Check the path."),
    Case("tree-m-dir", "tree --distances {i}/a_folder --out {o}/t.nwk",
         f"`--distances` must be {READ}; '{{i}}/a_folder' is a directory. Name a file inside "
         "it."),
    Case("tree-m-text", "tree --distances {i}/m_text.csv --out {o}/t.nwk",
         "`--distances` must hold numbers only; 1 cells are text (first: row 'b', column "
         "'c': 'far'). Fix those cells."),
    Case("tree-m-nonsquare", "tree --distances {i}/m_nonsquare.csv --out {o}/t.nwk",
         "`--distances` must be square (sites x sites); got shape (3, 2). Write the site ids "
         "as both the header and the first column."),
    Case("tree-m-asym", "tree --distances {i}/m_asym.csv --out {o}/t.nwk",
         "`--distances` must be symmetric; 1 pair(s) differ (first: 'a'-'b': 1.0 vs 3.0). "
         "Symmetrise it, e.g. (M + M.T) / 2, or check the file."),
    Case("tree-m-order", "tree --distances {i}/m_order.csv --out {o}/t.nwk",
         "`--distances` must have the same site ids in the same order on rows and columns; "
         "same ids, other order. Reorder with M.loc[ids, ids]."),
    Case("tree-m-nan", "tree --distances {i}/m_nan.csv --out {o}/t.nwk",
         "2 problems:\n- `--distances` must have no missing distances; 1 cell(s) are empty "
         "(first: 'b'-'c'). Fill them, drop the sites, or recompute with more shared items.\n"
         "- `--distances` must be symmetric; ..."),
    Case("tree-m-neg", "tree --distances {i}/m_neg.csv --out {o}/t.nwk",
         "`--distances` must be non-negative; 2 cell(s) are negative (first: 'a'-'b' = -1.0). "
         "Check the sign."),
    Case("tree-m-one-col", "tree --distances {i}/m_one_col.csv --out {o}/t.nwk",
         "`--distances` must be a square CSV with site ids as header and first column; "
         "'{i}/m_one_col.csv' has 1 column(s). Check the separator (commas)."),
    Case("ana-m-text", "analyze --sites {i}/sites.csv --distances {i}/m_text.csv --json "
         "{o}/o.json",
         "`--distances` must hold numbers only; 1 cells are text (first: row 'b', column "
         "'c': 'far'). Fix those cells."),
    Case("ana-m-order", "analyze --sites {i}/sites.csv --distances {i}/m_order.csv --json "
         "{o}/o.json",
         "`--distances` must have the same site ids in the same order on rows and columns; "
         "same ids, other order. Reorder with M.loc[ids, ids]."),
    Case("tree-ref-missing", "tree --distances {i}/m.csv --reference {i}/nope.nwk --out "
         "{o}/t.nwk",
         "`--reference` must be 'liu2007' or a Newick file; '{i}/nope.nwk' does not exist."),
]

GS = "simulate --seeds Ma1 --out {o}/o.csv --graph "
GPKG = "`path` must be a readable vector file; reading "
GRAPH_FILES = [
    Case("graph-missing", GS + "{i}/nope.gpkg",
         "`--graph` must be a GeoPackage written by `dialectgraph build`; '{i}/nope.gpkg' "
         "does not exist."),
    Case("graph-dir", GS + "{i}/a_folder",
         "`--graph` must be a GeoPackage written by `dialectgraph build`; '{i}/a_folder' is "
         "a directory."),
    Case("graph-text", GS + "{i}/not_a.gpkg",
         "`--graph` must be a GeoPackage readable by GDAL; reading '{i}/not_a.gpkg' failed (..."),
    Case("graph-garbage", GS + "{i}/garbage.gpkg",
         "`--graph` must be a GeoPackage readable by GDAL; reading '{i}/garbage.gpkg' failed (..."),
    Case("graph-truncated", GS + "{i}/truncated.gpkg",
         "`--graph` must be a GeoPackage readable by GDAL; reading '{i}/truncated.gpkg' failed "
         "(..."),
    Case("graph-bad-json", GS + "{i}/bad_json.gpkg",
         "`--graph` must be valid JSON; the text from '{i}/bad_json.gpkg (metadata)' is broken "
         "at line 1, column 2 (Unterminated string starting at). The file is damaged: "
         "rebuild or re-save it."),
    Case("graph-nan-distance", GS + "{i}/nan_dist.gpkg",
         "`edges` column 'distance_km' must hold finite non-negative numbers; 4 edges do not "
         "(first: edge ('Ma1', 'Ma2'), value nan). Rebuild the graph with `dialectgraph "
         "build`, or fill those edges (e.g. great-circle km for distance_km)."),
    Case("graph-neg-distance", GS + "{i}/neg_dist.gpkg",
         "`edges` column 'distance_km' must hold finite non-negative numbers; 4 edges do not "
         "(first: edge ('Ma1', 'Ma2'), value -5.0). Rebuild the graph with `dialectgraph "
         "build`, or fill those edges (e.g. great-circle km for distance_km)."),
    Case("graph-one-layer", GS + "{i}/one_layer.gpkg",
         "`--graph` must be a DialectGraph GeoPackage with layers ['edges', 'metadata', "
         "'regions']; '{i}/one_layer.gpkg' has ['regions']. Write it with `dialectgraph "
         "build --out G.gpkg`."),
    Case("eval-nan-distance", "evaluate --graph {i}/nan_dist.gpkg --models majority",
         "`edges` column 'distance_km' must hold finite non-negative numbers; 4 edges do not "
         "(first: edge ('Ma1', 'Ma2'), value nan). Rebuild the graph with `dialectgraph "
         "build`, or fill those edges (e.g. great-circle km for distance_km)."),
    Case("sim-no-seeds", "simulate --graph {i}/graph.gpkg --out {o}/o.csv",
         "`--seeds` must name at least one site where the innovation starts (model "
         "'gravity'); got none. Pass e.g. --seeds Ma1 (comma-separated site ids or names)."),
    Case("sim-unknown-seed", "simulate --graph {i}/graph.gpkg --seeds nowhere --out {o}/o.csv",
         "`--seeds` must name one site (an id or a name); 'nowhere' matches no site id or "
         "name. Closest: 'Ma1 (Harbin)', 'Ma6 (Qingdao)', 'Ma5 (Chifeng)', 'Ma2 (Jilin)', "
         "'Ma8 (Jinan)'."),
    Case("sim-initial-pairs", "simulate --model conformity --initial Ma1 --out {o}/o.csv",
         "`--initial` must be site=variant pairs separated by commas; got ['Ma1']."),
    Case("sim-initial-item-graph", "simulate --graph {i}/graph.gpkg --model conformity "
         "--initial-item x --out {o}/o.csv",
         "`--initial-item` needs feature columns, and the table has none (got 'x'). Build the "
         "graph with a survey (`--survey` or `features=`), or give the initial variants "
         "otherwise (`--initial site=variant,...`)."),
    Case("sim-weights-column", "simulate --graph {i}/graph.gpkg --seeds Ma1 --weights nope "
         "--out {o}/o.csv",
         "`graph.edges` must have the column(s) 'nope'; it has 'distance_km', 'border_km', "
         "'border_share_source', 'border_share_target', 'sea_crossing'. Name the right column "
         "with `--weights`."),
]

REPORTED = [  # exit 0, and the repair is printed
    Case("survey-na-reported", "distances --sites {i}/sites.csv --survey "
         "{i}/survey_na_ok.csv --out {o}/new.csv", "", code=0,
         notes=["note (--survey): removed empty values: 1 row had a blank value or one "
                "spelt as missing ('NaN' 1) and was treated as missing data (first sites: "
                "'b')"]),
    Case("sites-na-reported", "distances --sites {i}/sites_na_group.csv --survey "
         "{i}/survey.csv --out {o}/new.csv", "", code=0,
         notes=["note (--sites): treated as missing: 1 cells spelt as missing data ('NA' 1) in "
                "column(s) 'group'"]),
]

CLI_CASES = NUMERIC + OUTPUT_PATHS + INPUT_TABLES + GRAPH_FILES + REPORTED


def _expect(text: str, i: Path, o: Path) -> str:
    """A regex for the exact message; a trailing '...' allows the rest to vary."""
    text = text.replace("{i}", str(i)).replace("{o}", str(o))
    if text.endswith("..."):
        return re.escape(text[:-3]) + ".*"
    return re.escape(text) + r"\Z"


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_cli_hostile_input(case: Case, inputs: Path, out: Path, capsys):
    argv = case.argv.replace("{i}", str(inputs)).replace("{o}", str(out)).split()
    code = main(argv)
    captured = capsys.readouterr()
    assert code == case.code, captured.err
    assert "Traceback" not in captured.err
    if case.code:
        lines = captured.err.rstrip("\n")
        last = lines[lines.index("error: ") + len("error: "):] if "error: " in lines else lines
        assert re.match(_expect(case.message, inputs, out), last, re.S), last
    for note in case.notes:
        assert note in captured.err
    _check_untouched(out, inputs)


def test_at_least_100_hostile_inputs():
    assert len(CLI_CASES) + len(API_CASES) >= 100


def test_debug_shows_the_traceback(inputs, out, capsys):
    assert main(["--debug", "simulate", "--graph", str(inputs / "bad_json.gpkg"), "--seeds",
                 "Ma1", "--out", str(out / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "error: `--graph` must be valid" in err


def test_io_errors_are_one_clear_line(inputs, out, capsys, monkeypatch):
    """A full disk (ENOSPC) during the write: exit 2, one line, the old file kept."""
    import errno

    import geodata.io

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(out / "o.csv"))

    monkeypatch.setattr(geodata.io.os, "replace", full)
    assert main(["distances", "--sites", str(inputs / "sites.csv"), "--survey",
                 str(inputs / "survey.csv"), "--metric", "levenshtein",
                 "--out", str(out / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert err == (f"error: cannot read or write '{out}/o.csv': No space left on device. Free "
                   "some space or write elsewhere.\n")
    _check_untouched(out, inputs)


# ---------------------------------------------------------------------------------------
# API cases
# ---------------------------------------------------------------------------------------
def _api_graph():
    from geodata.diffusion._network import _toy_graph

    return _toy_graph()


def _nan_edges_graph():
    from geodata import load_dataset
    from geodata.graph.dialect_graph import DialectGraph

    sites, _ = load_dataset("sinitic_szeto2018")
    g = DialectGraph.from_sites(sites.iloc[:6], method="knn", k=2, regions=False)
    edges = g.edges
    edges.iloc[0, edges.columns.get_loc("distance_km")] = np.nan
    return DialectGraph(g.regions, edges, label=None)


def _nan_point_sites():
    import shapely

    from geodata import load_dataset

    sites, _ = load_dataset("sinitic_szeto2018")
    sites = sites.copy()
    sites.loc["Ma1", "geometry"] = shapely.Point(np.nan, np.nan)
    return sites


def _one_way_graph():
    from geodata import load_dataset
    from geodata.graph.dialect_graph import DialectGraph

    sites, _ = load_dataset("sinitic_szeto2018")
    g = DialectGraph.from_sites(sites.iloc[:6], method="knn", k=2, regions=False)
    nx_graph = g.to_networkx()
    nx_graph.remove_edge(*list(nx_graph.edges())[0])
    return DialectGraph.from_networkx(nx_graph)


def _api(name, func, message):
    return pytest.param(func, message, id=name)


def _sim(**kw):
    from geodata import diffusion

    return lambda i: diffusion.simulate_gravity(_api_graph(), ["a"], **kw)


API_CASES = [
    _api("read-sites-dir", lambda i: __import__("geodata.io").io.read_sites(i / "a_folder"),
         f"`path` must be {READ}; '{{i}}/a_folder' is a directory. Name a file inside it."),
    _api("read-survey-blank", lambda i: __import__("geodata.io").io.read_survey(
        i / "survey_blank.csv"),
        "`path` must hold at least one value; all 3 rows of column 'value' are blank ..."),
    _api("sites-frame-reserved", lambda i: __import__("geodata.io").io.sites_from_frame(
        pd.DataFrame({"id": ["a"], "latitude": [1.0], "longitude": [2.0], "site_id": [3]})),
        "`sites` has column(s) 'site_id' whose names dialectgraph uses ..."),
    _api("square-text", lambda i: __import__("geodata.io").io.read_square_matrix(
        i / "m_text.csv", argument="distances"),
        "`distances` must hold numbers only; 1 cells are text (first: row 'b', column 'c': "
        "'far'). Fix those cells."),
    _api("json-broken", lambda i: __import__("geodata.io").io.read_json_text(
        "[1,", argument="metadata"),
        "`metadata` must be valid JSON; the text is broken at line 1, column 4 (Expecting "
        "value). The file is damaged: rebuild or re-save it."),
    _api("output-dir", lambda i: __import__("geodata.io").io.check_output_path(
        i / "a_folder", argument="out"),
        "`out` must name a file to write; '{i}/a_folder' is a directory. Give a file name "
        "inside it, e.g. '{i}/a_folder/output'."),
    _api("graph-garbage", lambda i: __import__(
        "geodata.graph.dialect_graph").graph.dialect_graph.DialectGraph.read_file(
        i / "garbage.gpkg"),
        "`path` must be a GeoPackage readable by GDAL; reading '{i}/garbage.gpkg' failed (..."),
    _api("graph-nan-edges", lambda i: _nan_edges_graph(),
         "`edges` column 'distance_km' must hold finite non-negative numbers; 1 edges do not "
         "(first: edge ..."),
    _api("gravity-rate-neg", _sim(rate=-1),
         "`rate` must be a finite number > 0; got -1. A rate of 0 or less never spreads; "
         "pass e.g. rate=0.5."),
    _api("gravity-decay-nan", _sim(decay=float("nan")),
         "`decay` must be a finite number >= 0; got nan."),
    _api("gravity-steps-neg", _sim(n_steps=-3), "`n_steps` must be an integer >= 0; got -3."),
    _api("gravity-three", _sim(n_steps=-3, rate=float("inf"), decay=-1),
         "3 problems:\n- `n_steps` must be an integer >= 0; got -3.\n- `rate` must be a finite "
         "number > 0; got inf. A rate of 0 or less never spreads; pass e.g. rate=0.5.\n- "
         "`decay` must be a finite number >= 0; got -1."),
    _api("cascade-steps-neg", lambda i: __import__("geodata.diffusion").diffusion
         .simulate_cascade(_api_graph(), ["a"], n_steps=-2),
         "`n_steps` must be an integer >= 0; got -2."),
    _api("conformity-update-0", lambda i: __import__("geodata.diffusion").diffusion
         .simulate_conformity(_api_graph(), {"a": "x", "b": "y"}, update_fraction=0),
         "`update_fraction` must be a finite number > 0 and <= 1; got 0. With 0 no site ever "
         "updates."),
    _api("analyze-three", lambda i: __import__("geodata.dialectometry.analysis").dialectometry
         .analysis.analyze(None, distances=pd.DataFrame(), k=0, n_bins=0, permutations=-5),
         "3 problems:\n- `k` must be an integer >= 1; got 0.\n- `n_bins` must be an integer "
         ">= 2; got 0.\n- `permutations` must be an integer >= 1; got -5."),
    _api("fit-spread-empty-grid", lambda i: __import__("geodata.diffusion").diffusion
         .fit_spread(_api_graph(), ["a", "b"], source="a", grid={}),
         "`grid` must name at least one parameter to fit; got {}."),
    _api("sites-nan-point", lambda i: __import__(
        "geodata.graph.dialect_graph").graph.dialect_graph.DialectGraph.from_sites(
        _nan_point_sites()),
        "`sites` must have finite coordinates for every point; 1 are empty or NaN ('Ma1'). "
        "Fill in their coordinates or drop those sites."),
    _api("edges-one-way", lambda i: _one_way_graph(),
         "`edges` must list both directions of every edge; 1 edge(s) are one-way (first: ..."),
]


@pytest.mark.parametrize(("func", "message"), API_CASES)
def test_api_hostile_input(func, message, inputs, out):
    with pytest.raises(DialectGraphError) as info:
        func(inputs)
    assert re.match(_expect(message, inputs, out), str(info.value), re.S), str(info.value)
    _check_untouched(out, inputs)
