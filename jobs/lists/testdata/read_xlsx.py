#!/usr/bin/env python3
"""Reads the first sheet of an .xlsx file with nothing but the Python
standard library (zipfile and ElementTree), as an independent reader of
what churn lists writes, and prints it as JSON: the sheet's name and its
rows, each a list of cells, numbers as numbers, text as text, empty cells
as null. Only what a list uses is supported: shared, inline and plain
strings, and numbers."""
import json
import re
import sys
import zipfile
import xml.etree.ElementTree as ET

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def col_index(ref):
    letters = re.match(r"[A-Z]+", ref).group(0)
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - ord("A") + 1
    return n - 1


def text_of(node):
    return "".join(t.text or "" for t in node.iter("{%s}t" % NS["m"]))


def main(path):
    z = zipfile.ZipFile(path)
    if z.testzip() is not None:
        raise SystemExit("corrupt member in " + path)
    wb = ET.fromstring(z.read("xl/workbook.xml"))
    sheet = wb.find("m:sheets/m:sheet", NS)
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = next(r.get("Target") for r in rels if r.get("Id") == sheet.get(REL))
    target = target.lstrip("/")
    if not target.startswith("xl/"):
        target = "xl/" + target
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        sst = ET.fromstring(z.read("xl/sharedStrings.xml"))
        shared = [text_of(si) for si in sst.findall("m:si", NS)]
    ws = ET.fromstring(z.read(target))
    rows = []
    for row in ws.findall("m:sheetData/m:row", NS):
        cells = []
        for c in row.findall("m:c", NS):
            i = col_index(c.get("r"))
            while len(cells) < i:
                cells.append(None)
            t = c.get("t", "n")
            v = c.find("m:v", NS)
            if t == "s":
                val = shared[int(v.text)]
            elif t == "inlineStr":
                val = text_of(c.find("m:is", NS))
            elif t in ("str", "e"):
                val = v.text if v is not None else ""
            elif t == "b":
                val = v.text == "1"
            else:
                val = float(v.text) if v is not None and v.text is not None else None
            cells.append(val)
        rows.append(cells)
    json.dump({"sheet": sheet.get("name"), "rows": rows}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
