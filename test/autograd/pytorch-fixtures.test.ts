// PyTorch's float64 MLP losses and gradients on the installed backend (RULEBENCH_BACKEND).
import { mlpFixtures } from './pytorch-fixtures.ts';

mlpFixtures('the installed backend');
