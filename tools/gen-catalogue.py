#!/usr/bin/env python3
"""Regenerates data/catalogue.json from the Administrator example of Zoho's OpenAPI file.

The catalogue keeps the facts a client can see (permission names, display labels, modules,
parents, customizable flags, sections); the ids in Zoho's example belong to Zoho's org, so
references are rewritten as permission names and the server mints its own ids.

Usage: tools/gen-catalogue.py ../shared/reference/zoho-oas/profiles.yaml > data/catalogue.json
"""
import json
import sys

import yaml

spec = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
get_one = spec["paths"]["/settings/profiles/{id}"]["get"]
example = get_one["responses"]["200"]["content"]["application/json"]["examples"]["Sample"]
admin = example["value"]["profiles"][0]

names_by_id = {}
permissions = []
for entry in admin["permissions_details"]:
    if entry["id"] in names_by_id:
        continue  # the example lists three permissions twice; the catalogue keeps one of each
    names_by_id[entry["id"]] = entry["name"]
    permissions.append(entry)

catalogue = {"permissions": [], "sections": []}
for entry in permissions:
    item = {
        "name": entry["name"],
        "display_label": entry["display_label"],
        "module": entry.get("module"),
        "customizable": entry["customizable"],
    }
    if "parent_permissions" in entry:
        parents = entry["parent_permissions"]
        item["parents"] = None if parents is None else [names_by_id[p] for p in parents]
    else:
        item["parents_absent"] = True
    catalogue["permissions"].append(item)

for section in admin["sections"]:
    categories = []
    for category in section["categories"]:
        out = {"name": category["name"], "display_label": category["display_label"]}
        if "module" in category:
            out["module"] = category["module"]
        out["permissions"] = [names_by_id[p] for p in category["permissions_details"]]
        categories.append(out)
    catalogue["sections"].append({"name": section["name"], "categories": categories})

# One permission or section a line keeps diffs of the data readable.
lines = ['{"permissions": [']
lines.append(",\n".join(" " + json.dumps(p, ensure_ascii=False) for p in catalogue["permissions"]))
lines.append('],\n"sections": [')
lines.append(",\n".join(" " + json.dumps(s, ensure_ascii=False) for s in catalogue["sections"]))
lines.append("]}")
sys.stdout.write("\n".join(lines) + "\n")
