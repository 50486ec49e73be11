// Part of `npm run build`, after tsc: precompiles templates/*.hbs into dist/templates/ so that
// builds run them on Handlebars' runtime instead of compiling them (src/render/templates.ts).
import { precompileTemplates } from '../dist/src/render/templates.js';

precompileTemplates();
