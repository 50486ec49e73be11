// The example project that `npm run demo` builds: copy this layout for your own workflows.
import { defineConfig } from 'comfygen';

export default defineConfig({
  workflows: ['examples/workflows/**/*.json', 'examples/workflows/**/*.png'],
  models: {
    roots: ['examples/models'],
    target: '/workspace/ComfyUI/models',
  },
  sources: [
    {
      type: 'url',
      files: {
        // A file no workflow carries a URL for: declared here. No sha256 is published for it,
        // so the report flags it as unverified until you add one.
        'upscale_models/4x-UltraSharp.pth': { url: 'https://huggingface.co/lokCX/4x-Ultrasharp/resolve/main/4x-UltraSharp.pth' },
      },
    },
    { type: 'embedded' },
    { type: 'huggingface', repos: ['Comfy-Org/flux1-dev', 'comfyanonymous/flux_text_encoders'] },
    { type: 'civitai' },
  ],
  output: { dir: 'generated' },
});
