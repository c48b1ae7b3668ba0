using Unroll.Generators.Layers;
using Unroll.Generators.Model;
using Xunit;

namespace Unroll.Generators.Tests;

/// <summary>
/// The layer kinds' handlers: one per kind, found by kind, an unknown kind refused (never taken for a recurrent layer),
/// and each handler's attribute and view are types the runtime has.
/// </summary>
public sealed class LayerHandlerTests
{
    [Fact]
    public void Every_layer_kind_has_one_handler_and_an_unknown_kind_throws()
    {
        LayerKind[] kinds = Enum.GetValues<LayerKind>();
        Assert.Equal(kinds.Length, LayerHandler.All.Length);
        foreach (LayerKind kind in kinds) Assert.Equal(kind, LayerHandler.For(kind).Kind);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => LayerHandler.For((LayerKind)kinds.Length));
        Assert.Equal("kind", error.ParamName);
    }

    [Fact]
    public void Each_handler_names_an_attribute_and_a_view_the_runtime_has()
    {
        System.Reflection.Assembly runtime = typeof(Unroll.ModelAttribute).Assembly;
        foreach (LayerHandler handler in LayerHandler.All)
        {
            Assert.True(runtime.GetType("Unroll." + handler.Attribute) is { } attribute && attribute.IsSubclassOf(typeof(Attribute)), handler.Attribute);
            Assert.True(runtime.GetType("Unroll." + handler.ViewType) is not null, handler.ViewType);
        }
    }
}
