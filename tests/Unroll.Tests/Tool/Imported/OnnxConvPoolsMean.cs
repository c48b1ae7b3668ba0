// Written by `unroll import` from conv_pools_mean.onnx (ONNX, opset 17, pytorch 1.13.0).
// Its weights are in OnnxConvPoolsMean.safetensors (PyTorch's state-dict names): model.LoadSafetensors(path).
using Unroll;

namespace Unroll.Tests.Tool.Imported;

[Model(SequenceLength = 9, BatchSize = 2)]
public partial class OnnxConvPoolsMean
{
    /// <summary>ONNX node '/conv1/Conv' (Conv, node 2 of 7).</summary>
    [Conv1d(3, 5, 3, Padding = 1)]
    public partial Conv1dLayer Conv1 { get; }

    /// <summary>ONNX node '/max/MaxPool' (MaxPool, node 3 of 7).</summary>
    [MaxPool1d(3, Stride = 2, Padding = 1)]
    public partial MaxPool1dLayer Max { get; }

    /// <summary>ONNX node '/conv2/Conv' (Conv, node 4 of 7).</summary>
    [Conv1d(5, 4, 3, Padding = 2, Dilation = 2)]
    public partial Conv1dLayer Conv2 { get; }

    /// <summary>ONNX node '/average/AveragePool' (AveragePool, node 5 of 7).</summary>
    [AvgPool1d(2, Padding = 1, CountIncludePad = false)]
    public partial AvgPool1dLayer Average { get; }

    /// <summary>ONNX node '/ReduceMean' (ReduceMean, node 6 of 7).</summary>
    [Pooling(PoolingKind.Mean)]
    public partial PoolingLayer ReduceMean { get; }

    /// <summary>ONNX node '/head/Gemm' (Gemm, node 7 of 7).</summary>
    [Linear(4, 3)]
    public partial LinearLayer Head { get; }
}
