#!/usr/bin/env node
import { runProcess } from '../dist/src/cli/main.js';

runProcess(process.argv.slice(2));
