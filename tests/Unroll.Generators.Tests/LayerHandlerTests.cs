using Unroll.Generators.Layers;
using Xunit;

namespace Unroll.Generators.Tests;

/// <summary>
/// The layer kinds' handlers: one per kind, found by kind, an unknown kind refused (never taken for a recurrent layer),
/// and each handler's attribute and view are types the runtime has.
/// </summary>
public sealed class LayerHandlerTests
{
    /// <summary>The generator's own handlers (not the kinds tests register, as <see cref="StateBufferTests"/> does).</summary>
    private static IEnumerable<LayerHandler> Shipped => LayerHandler.All.Where(h => h.GetType().Assembly == typeof(LayerHandler).Assembly);

    [Fact]
    public void Every_layer_attribute_has_one_handler_and_an_unknown_kind_throws()
    {
        // The runtime's layer attributes and the handlers found in the generator: the same kinds.
        string[] attributes = typeof(Unroll.ModelAttribute).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(Unroll.LayerAttribute)) && !t.IsAbstract)
            .Select(t => t.Name.Substring(0, t.Name.Length - "Attribute".Length))
            .Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(attributes, Shipped.Select(h => h.Kind).ToArray());
        foreach (string kind in attributes) Assert.Equal(kind, LayerHandler.For(kind).Kind);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => LayerHandler.For("Conv2d"));
        Assert.Equal("kind", error.ParamName);
    }

    [Fact]
    public void Each_handler_names_an_attribute_and_a_view_the_runtime_has()
    {
        System.Reflection.Assembly runtime = typeof(Unroll.ModelAttribute).Assembly;
        foreach (LayerHandler handler in Shipped)
        {
            Assert.True(runtime.GetType("Unroll." + handler.Attribute) is { } attribute && attribute.IsSubclassOf(typeof(Attribute)), handler.Attribute);
            Assert.True(runtime.GetType("Unroll." + handler.ViewType) is not null, handler.ViewType);
        }
    }
}
