// PyTorch's float64 layers, LeNet-5, residual block, transformer block and RNN on the installed backend (RULEBENCH_BACKEND).
import { layerFixtures } from './layer-fixtures.ts';

layerFixtures('the installed backend');
