// What the playground's worker bundle has instead of mathjs (scripts/build-playground.ts points
// 'mathjs' here): mathjs (674 KiB of the 943 KiB worker) serves only activations written as
// expressions in x (src/nn/activations.ts), which the page never offers: it picks named
// activations. A rule file that writes one anyway is told so, in one line.
const refuse = (): never => {
  throw new Error('activations written as expressions in x need mathjs, which the playground leaves out; use a named activation');
};
export const parse = refuse;
export const derivative = refuse;
export class ParenthesisNode {
  constructor() {
    refuse();
  }
}
