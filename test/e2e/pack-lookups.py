"""Where self-downloading nodes look for their files before they download them, per pack.

Each lookup below follows the path rules of the pack's own code at the commit data/packs/packs.json
pins (the file:line is given with each), written again here rather than taken from the table
comfygen generates, so a test can tell whether download.sh put a file where the pack reads it.
Nothing is downloaded: the Hugging Face lookups follow huggingface_hub's offline rules
(try_to_load_from_cache / hf_hub_download with HF_HUB_OFFLINE=1: refs/<revision> -> commit ->
snapshots/<commit>/<path>), with the cache root taken from the environment as huggingface_hub does.

Usage: python3 pack-lookups.py COMFYUI_DIR < nodes.json  (a list of {"type", "widgets"})
Prints {"<node index>": [{"path": ..., "sha256": ...} | {"missing": ...}]} as JSON.
       python3 pack-lookups.py --cache < files.json  (a list of [repo_type, repo_id, revision, path])
Prints what try_to_load_from_cache finds for each, in the same form.
"""
import glob
import hashlib
import json
import os
import sys
from urllib.parse import urlparse

COMFYUI = os.path.abspath(sys.argv[1]) if sys.argv[1] != "--cache" else ""
MODELS = os.path.join(COMFYUI, "models")  # folder_paths.models_dir
CUSTOM_NODES = os.path.join(COMFYUI, "custom_nodes")


def hub_cache():
    """huggingface_hub constants.py: HF_HUB_CACHE, else HUGGINGFACE_HUB_CACHE, else HF_HOME/hub."""
    home = os.path.expandvars(os.path.expanduser(os.getenv(
        "HF_HOME", os.path.join(os.getenv("XDG_CACHE_HOME", os.path.join(os.path.expanduser("~"), ".cache")), "huggingface"))))
    legacy = os.getenv("HUGGINGFACE_HUB_CACHE", os.path.join(home, "hub"))
    return os.path.expandvars(os.path.expanduser(os.getenv("HF_HUB_CACHE", legacy)))


def try_to_load_from_cache(repo_id, filename, revision="main", repo_type="model"):
    """file_download.py try_to_load_from_cache: the cached file of a revision, or None."""
    repo_cache = os.path.join(hub_cache(), "--".join([f"{repo_type}s", *repo_id.split("/")]))
    if not os.path.isdir(repo_cache):
        return None
    refs_dir = os.path.join(repo_cache, "refs")
    snapshots_dir = os.path.join(repo_cache, "snapshots")
    if os.path.isdir(refs_dir):
        revision_file = os.path.join(refs_dir, revision)
        if os.path.isfile(revision_file):
            with open(revision_file) as f:
                revision = f.read()  # read as is: a trailing newline would name no snapshot
    if not os.path.exists(snapshots_dir) or revision not in os.listdir(snapshots_dir):
        return None
    cached = os.path.join(snapshots_dir, revision, filename)
    return cached if os.path.isfile(cached) else None


def get_full_path(folder_dirs, filename):
    """folder_paths.get_full_path: the first folder of the key that holds the file."""
    for d in folder_dirs:
        path = os.path.join(d, filename)
        if os.path.isfile(path):
            return path
    return None


def pack_dir(*names):
    """The pack's own folder (its __file__), whichever name it was installed under."""
    for name in names:
        path = os.path.join(CUSTOM_NODES, name)
        if os.path.isdir(path):
            return path
    return None


def found(path, what):
    if path and os.path.isfile(path):
        with open(path, "rb") as f:
            return {"path": path, "sha256": hashlib.sha256(f.read()).hexdigest()}
    return {"missing": what}


def folder(path, what):
    """A model the pack loads as a folder (from_pretrained on a directory): every file in it."""
    if not os.path.isdir(path):
        return [{"missing": what}]
    out = []
    for root, _dirs, files in os.walk(path):
        for name in sorted(files):
            full = os.path.join(root, name)
            out.append({**found(full, full), "relative": os.path.relpath(full, path).replace(os.sep, "/")})
    return sorted(out, key=lambda f: f["relative"])


# comfyui_controlnet_aux: custom_hf_download (src/custom_controlnet_aux/util.py:289) uses
# <annotator_ckpts_path>/<repo>/<subfolder>/<file> when it exists; annotator_ckpts_path is
# <pack>/ckpts without a config.yaml (utils.py:46).
def annotator(repo, filename):
    pack = pack_dir("comfyui_controlnet_aux")
    return found(pack and os.path.join(pack, "ckpts", repo, filename), f"{repo}/{filename}")


DAV2_REPOS = {  # src/custom_controlnet_aux/util.py:26
    "depth_anything_v2_vits.pth": "depth-anything/Depth-Anything-V2-Small",
    "depth_anything_v2_vitb.pth": "depth-anything/Depth-Anything-V2-Base",
    "depth_anything_v2_vitl.pth": "depth-anything/Depth-Anything-V2-Large",
    "depth_anything_v2_vitg.pth": "depth-anything/Depth-Anything-V2-Giant",
}


# ComfyUI-Frame-Interpolation: load_file_from_url (vfi_utils.py:87) keeps
# <pack>/<ckpts_path>/<model_type>/<basename of the URL path>; ckpts_path is ./ckpts.
def vfi(model_type, ckpt_name, url):
    pack = pack_dir("ComfyUI-Frame-Interpolation", "comfyui-frame-interpolation")
    name = os.path.basename(urlparse(url + ckpt_name).path)
    return found(pack and os.path.abspath(os.path.join(pack, "./ckpts", model_type, name)), f"{model_type}/{ckpt_name}")


# ComfyUI-ReActor r_facelib: load_file_from_url(model_dir='../../models/facedetection') joined to
# ROOT_DIR, the pack's folder (r_facelib/utils/misc.py:11, :99).
def facelib(url):
    pack = pack_dir("ComfyUI-ReActor", "comfyui-reactor", "comfyui-reactor-node")
    name = os.path.basename(urlparse(url).path)
    return found(pack and os.path.abspath(os.path.join(pack, "../../models/facedetection", name)), name)


# comfyui_segment_anything get_local_filepath (node.py:94): folder_paths.get_full_path(dirname,
# name) when the key is registered (neither is here), else models_dir/<dirname>/<name>.
def segment_anything_file(url, dirname):
    name = os.path.basename(urlparse(url).path)
    return found(os.path.join(MODELS, dirname, name), f"{dirname}/{name}")


def lookup(node):
    t, w = node["type"], node["widgets"]
    if t == "LineArtPreprocessor":
        return [annotator("lllyasviel/Annotators", f) for f in ("sk_model.pth", "sk_model2.pth")]
    if t == "OpenposePreprocessor":
        return [annotator("lllyasviel/Annotators", f) for f in ("body_pose_model.pth", "hand_pose_model.pth", "facenet.pth")]
    if t == "DepthAnythingV2Preprocessor":
        return [annotator(DAV2_REPOS[w[0]], w[0])]
    if t == "RIFE VFI":
        return [vfi("rife", w[0], "https://github.com/styler00dollar/VSGAN-tensorrt-docker/releases/download/models/")]
    if t == "FILM VFI":
        return [vfi("film", w[0], "https://github.com/styler00dollar/VSGAN-tensorrt-docker/releases/download/models/")]
    if t == "DownloadAndLoadSAM2Model":  # nodes.py:62
        model, precision = w[0], w[3]
        if precision != "fp32" and "2.1" in model:
            base, ext = model.rsplit(".", 1)
            model = f"{base}-fp16.{ext}"
        return [found(os.path.join(MODELS, "sam2", model), model)]
    if t == "DownloadAndLoadDepthAnythingV2Model":  # nodes.py:68
        return [found(os.path.join(MODELS, "depthanything", w[0]), w[0])]
    if t == "DownloadAndLoadFlorence2Model":  # nodes.py:120: the folder models_dir/LLM/<repo name>
        return folder(os.path.join(MODELS, "LLM", w[0].rsplit("/", 1)[-1]), w[0])
    if t == "DownloadAndLoadHyVideoTextEncoder":  # nodes.py:693, :716
        files = folder(os.path.join(MODELS, "LLM", w[0].split("/")[-1]), w[0])
        if w[1] != "disabled":
            files += folder(os.path.join(MODELS, "clip", "clip-vit-large-patch14"), w[1])
        return files
    if t == "DownloadAndLoadCogVideoGGUFModel":  # model_loading.py:526, :613
        gguf = os.path.join(MODELS, "diffusion_models", w[0])
        if not os.path.exists(gguf):
            gguf = os.path.join(MODELS, "CogVideo", "GGUF", w[0])
        return [found(gguf, w[0]), found(os.path.join(MODELS, "CogVideo", "VAE", "cogvideox_vae.safetensors"), "cogvideox_vae.safetensors")]
    if t == "PulidEvaClipLoader":  # eva_clip/pretrained.py:96, :300: hf_hub_download without a cache_dir
        return [found(try_to_load_from_cache("QuanSun/EVA-CLIP", "EVA02_CLIP_L_336_psz14_s6B.pt"), "EVA02_CLIP_L_336_psz14_s6B.pt in the hub cache")]
    if t == "PulidFluxEvaClipLoader":  # pulidflux.py:196: get_full_path('text_encoders', …)
        dirs = [os.path.join(MODELS, "text_encoders"), os.path.join(MODELS, "clip")]
        return [found(get_full_path(dirs, "EVA02_CLIP_L_336_psz14_s6B.pt"), "text_encoders/EVA02_CLIP_L_336_psz14_s6B.pt")]
    if t == "AutoDownloadBiRefNetModel":  # birefnetNode.py:129; __init__.py registers models_dir/BiRefNet
        return [found(get_full_path([os.path.join(MODELS, "BiRefNet")], f"{w[0]}.safetensors"), f"birefnet/{w[0]}.safetensors")]
    if t == "LoadCLIPSegModels+":  # segmentation.py:19: from_pretrained from the hub cache
        names = ("config.json", "preprocessor_config.json", "tokenizer_config.json", "vocab.json", "merges.txt", "special_tokens_map.json", "model.safetensors")
        return [{**found(try_to_load_from_cache("CIDAS/clipseg-rd64-refined", n), f"{n} in the hub cache"), "relative": n} for n in names]
    if t == "ReActorRestoreFace":  # nodes.py:221, :265
        if w[1] == "none":
            return []
        detection = {
            "retinaface_resnet50": "https://github.com/xinntao/facexlib/releases/download/v0.1.0/detection_Resnet50_Final.pth",
            "retinaface_mobile0.25": "https://github.com/xinntao/facexlib/releases/download/v0.1.0/detection_mobilenet0.25_Final.pth",
            "YOLOv5l": "https://github.com/sczhou/CodeFormer/releases/download/v0.1.0/yolov5l-face.pth",
            "YOLOv5n": "https://github.com/sczhou/CodeFormer/releases/download/v0.1.0/yolov5n-face.pth",
        }[w[0]]
        restorer = get_full_path([os.path.join(MODELS, "facerestore_models")], w[1])
        return [facelib(detection), facelib("https://github.com/sczhou/CodeFormer/releases/download/v0.1.0/parsing_parsenet.pth"), found(restorer, w[1])]
    if t == "GroundingDinoModelLoader (segment anything)":  # node.py:53, :64, :115
        urls = {
            "GroundingDINO_SwinT_OGC (694MB)": ("GroundingDINO_SwinT_OGC.cfg.py", "groundingdino_swint_ogc.pth"),
            "GroundingDINO_SwinB (938MB)": ("GroundingDINO_SwinB.cfg.py", "groundingdino_swinb_cogcoor.pth"),
        }[w[0]]
        files = [segment_anything_file(f"https://huggingface.co/ShilongLiu/GroundingDINO/resolve/main/{u}", "grounding-dino") for u in urls]
        bert = os.path.join(MODELS, "bert-base-uncased")
        if glob.glob(os.path.join(bert, "**/model.safetensors"), recursive=True):
            files += [found(os.path.join(bert, n), f"bert-base-uncased/{n}") for n in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt")]
        else:
            files.append({"missing": "models/bert-base-uncased/**/model.safetensors"})
        return files
    if t == "SAMModelLoader (segment anything)":  # node.py:27, :79
        url = {
            "sam_vit_b (375MB)": "https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth",
            "sam_hq_vit_b (379MB)": "https://huggingface.co/lkeab/hq-sam/resolve/main/sam_hq_vit_b.pth",
        }[w[0]]
        return [segment_anything_file(url, "sams")]
    raise SystemExit(f"no lookup for {t}")


if sys.argv[1] == "--cache":
    print(json.dumps([found(try_to_load_from_cache(repo, path, rev, kind), f"{repo}@{rev}/{path}") for kind, repo, rev, path in json.load(sys.stdin)], indent=1))
else:
    print(json.dumps({str(i): lookup(node) for i, node in enumerate(json.load(sys.stdin))}, indent=1))
