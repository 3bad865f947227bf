// What the WebGPU test files share: a machine without a GPU runs Dawn's Vulkan backend on
// SwiftShader (Debian's chromium ships it), and whether the optional package `webgpu` is installed.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;
process.env.XDG_RUNTIME_DIR ??= tmpdir();

/** Whether the optional package `webgpu` resolves from here. */
export const webgpuPresent = ((): boolean => {
  try {
    createRequire(import.meta.url).resolve('webgpu');
    return true;
  } catch {
    return false;
  }
})();
