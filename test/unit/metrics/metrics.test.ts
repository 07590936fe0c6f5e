import { classificationReport, rocCurve } from '../../../lib/metrics/classification';
import { regressionReport } from '../../../lib/metrics/regression';

describe('metrics', () => {
  it('classification report by hand', () => {
    // truth: 0 0 1 1 2 ; predicted argmax: 0 1 1 1 0
    const y = [0, 0, 1, 1, 2];
    const p = new Float32Array([0.8, 0.1, 0.1, 0.3, 0.6, 0.1, 0.2, 0.7, 0.1, 0.1, 0.5, 0.4, 0.5, 0.2, 0.3]);
    const r = classificationReport(y, p, ['a', 'b', 'c']);
    expect(r.accuracy).toBeCloseTo(3 / 5);
    expect(r.confusion).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 0],
    ]);
    // recall a=1/2, b=1, c=0 → balanced 0.5; precision a=1/2, b=2/3, c=0
    expect(r.balancedAccuracy).toBeCloseTo(0.5);
    expect(r.macroPrecision).toBeCloseTo((0.5 + 2 / 3 + 0) / 3);
    expect(r.perClass[1].f1).toBeCloseTo(0.8);
    const ll = -(Math.log(0.8) + Math.log(0.3) + Math.log(0.7) + Math.log(0.5) + Math.log(0.3)) / 5;
    expect(r.logLoss).toBeCloseTo(ll, 5);
  });

  it('AUC: perfect, inverted and tied scores', () => {
    expect(rocCurve([0.9, 0.8, 0.2, 0.1], [true, true, false, false])!.auc).toBeCloseTo(1);
    expect(rocCurve([0.1, 0.2, 0.8, 0.9], [true, true, false, false])!.auc).toBeCloseTo(0);
    expect(rocCurve([0.5, 0.5, 0.5, 0.5], [true, false, true, false])!.auc).toBeCloseTo(0.5);
    expect(rocCurve([0.5, 0.4], [true, true])).toBeNull();
  });

  it('regression report by hand', () => {
    const r = regressionReport([1, 2, 3, 4], [1, 3, 3, 2]);
    expect(r.rmse).toBeCloseTo(Math.sqrt(5 / 4));
    expect(r.mae).toBeCloseTo(3 / 4);
    expect(r.r2).toBeCloseTo(1 - 5 / 5);
    expect(r.residualQuantiles[0]).toBe(-1);
    expect(r.residualQuantiles[6]).toBe(2);
  });
});
