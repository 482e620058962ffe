#!/usr/bin/env node
// The `rotation` bin: runs the TypeScript CLI through tsx (the repo ships TS sources).
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
