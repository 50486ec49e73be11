#!/usr/bin/env python3
"""The script most people write first to answer "which models do my workflows need, and which
do I have?": glob the workflows, json.load each, collect every widget string that ends with a
model extension, walk the model root, and print what is present and what is missing.

    python3 bench/naive.py <project-dir>     (reads workflows/**/*.json and models/)
"""
import glob
import json
import os
import sys

MODEL_EXTENSIONS = ('.ckpt', '.pt', '.pt2', '.bin', '.pth', '.safetensors', '.pkl', '.sft', '.gguf', '.onnx')


def widget_strings(workflow):
    if isinstance(workflow.get('nodes'), list):  # UI format
        for node in workflow['nodes']:
            values = node.get('widgets_values') or []
            if isinstance(values, dict):
                values = values.values()
            for value in values:
                yield value
    else:  # API format
        for node in workflow.values():
            if isinstance(node, dict):
                for value in (node.get('inputs') or {}).values():
                    yield value


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else '.'
    needed = set()
    for path in sorted(glob.glob(os.path.join(root, 'workflows', '**', '*.json'), recursive=True)):
        with open(path, encoding='utf-8') as f:
            try:
                workflow = json.load(f)
            except json.JSONDecodeError:
                print(f'skipping {path}: not JSON', file=sys.stderr)
                continue
        for value in widget_strings(workflow):
            if isinstance(value, str) and value.lower().endswith(MODEL_EXTENSIONS):
                needed.add(value.replace('\\', '/'))

    models_dir = os.path.join(root, 'models')
    have = {}
    for dirpath, _dirs, files in os.walk(models_dir):
        for name in files:
            if name.lower().endswith(MODEL_EXTENSIONS):
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, models_dir).replace(os.sep, '/')
                # loras/sdxl/foo.safetensors is named "sdxl/foo.safetensors" in a workflow
                have[rel.split('/', 1)[1] if '/' in rel else rel] = os.path.getsize(full)

    missing = sorted(n for n in needed if n not in have)
    with open(os.path.join(root, 'naive-report.txt'), 'w', encoding='utf-8') as out:
        for name in sorted(needed):
            out.write(f"{'ok' if name in have else 'MISSING'}\t{name}\n")
    print(f'{len(needed)} model(s) referenced, {len(needed) - len(missing)} present, {len(missing)} missing')


if __name__ == '__main__':
    main()
