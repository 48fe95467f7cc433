"""Word lists the shop's seed draws from. Changing anything here changes the seed (and the cache key)."""

from __future__ import annotations

# top category -> (brands, adjectives, [(mid category, [(leaf, noun, (min price, max price), options kind)])])
# options kind: "color", "size" (clothing), "shoe" (shoe sizes), "colorsize", or "" (no options)
CATALOG = [
    ("Electronics",
     ["Norvik", "Altura", "Zentek", "Corvex", "Lumio", "Kestrel", "Ostara"],
     ["UltraSlim", "Pro", "Compact", "Wireless", "Smart", "Portable", "Premium", "Studio", "Active", "Max"],
     [("Computers", [("Laptops", "Laptop", (399, 2299), "color"), ("Desktops", "Desktop PC", (499, 2499), ""),
                     ("Monitors", "Monitor", (119, 899), ""), ("Keyboards & Mice", "Keyboard", (19, 179), "color")]),
      ("Audio", [("Headphones", "Headphones", (25, 399), "color"), ("Speakers", "Bluetooth Speaker", (29, 349), "color"),
                 ("Turntables", "Turntable", (99, 699), "")]),
      ("Cameras & Photo", [("Digital Cameras", "Mirrorless Camera", (349, 2499), "color"),
                           ("Lenses", "Camera Lens", (149, 1499), ""), ("Tripods", "Tripod", (24, 249), "")]),
      ("Cell Phones & Accessories", [("Cell Phones", "Smartphone", (149, 1199), "color"),
                                     ("Chargers", "USB-C Charger", (12, 79), ""), ("Phone Cases", "Phone Case", (9, 49), "color")])]),
    ("Home & Kitchen",
     ["Hearthly", "Casa Verde", "Maplewood", "Brightnest", "Copperline", "Dunmore"],
     ["Classic", "Modern", "Rustic", "Deluxe", "Everyday", "Nonstick", "Stackable", "Heritage", "Essential"],
     [("Kitchen & Dining", [("Cookware", "Frying Pan", (19, 189), ""), ("Small Appliances", "Blender", (29, 399), "color"),
                            ("Cutlery", "Chef Knife", (15, 229), ""), ("Coffee Makers", "Coffee Maker", (25, 599), "color")]),
      ("Furniture", [("Living Room", "Sofa", (249, 1899), "color"), ("Bedroom", "Nightstand", (59, 499), "color"),
                     ("Home Office", "Office Chair", (79, 699), "color")]),
      ("Bedding & Bath", [("Sheets", "Sheet Set", (25, 249), "color"), ("Pillows", "Pillow", (15, 129), ""),
                          ("Towels", "Bath Towel Set", (19, 119), "color")])]),
    ("Clothing, Shoes & Jewelry",
     ["Harbor & Pine", "Velora", "Northfield", "Aster Lane", "Rowan", "Kinfolk Co."],
     ["Relaxed", "Slim-Fit", "Organic Cotton", "Lightweight", "Quilted", "Linen", "Stretch", "Vintage", "Merino"],
     [("Women", [("Dresses", "Dress", (29, 189), "colorsize"), ("Tops", "Blouse", (15, 89), "colorsize"),
                 ("Women's Jackets", "Jacket", (49, 299), "colorsize")]),
      ("Men", [("Shirts", "Shirt", (19, 99), "colorsize"), ("Pants", "Chino Pants", (29, 129), "colorsize"),
               ("Men's Jackets", "Parka", (69, 349), "colorsize")]),
      ("Shoes", [("Running Shoes", "Running Shoe", (49, 199), "shoe"), ("Boots", "Leather Boot", (69, 279), "shoe"),
                 ("Sandals", "Sandal", (19, 89), "shoe")]),
      ("Jewelry", [("Necklaces", "Necklace", (19, 499), ""), ("Watches", "Watch", (39, 899), "color")])]),
    ("Beauty & Health",
     ["Lumiere", "Purely", "Greenleaf", "Solstice", "Vitalis", "Oak & Honey"],
     ["Hydrating", "Gentle", "Daily", "Advanced", "Natural", "Fragrance-Free", "Revitalizing", "Clinical"],
     [("Skin Care", [("Moisturizers", "Moisturizer", (8, 79), ""), ("Cleansers", "Facial Cleanser", (6, 49), ""),
                     ("Sunscreen", "Sunscreen SPF 50", (7, 39), "")]),
      ("Vitamins & Supplements", [("Multivitamins", "Multivitamin", (9, 59), ""), ("Protein", "Whey Protein", (19, 89), ""),
                                  ("Herbal Supplements", "Turmeric Capsules", (8, 45), "")]),
      ("Hair Care", [("Shampoo", "Shampoo", (5, 39), ""), ("Hair Dryers", "Hair Dryer", (19, 299), "color")])]),
    ("Sports & Outdoors",
     ["Trailhead", "Summit Gear", "Bluewater", "Ironpeak", "Fieldcraft", "Velo"],
     ["Ultralight", "All-Weather", "Trail", "Heavy-Duty", "Adjustable", "Foldable", "Insulated", "Pro Series"],
     [("Camping & Hiking", [("Tents", "Tent", (59, 699), "color"), ("Sleeping Bags", "Sleeping Bag", (29, 299), "color"),
                            ("Backpacks", "Hiking Backpack", (35, 279), "color")]),
      ("Exercise & Fitness", [("Yoga", "Yoga Mat", (15, 119), "color"), ("Strength Training", "Dumbbell Set", (29, 499), ""),
                              ("Cardio", "Exercise Bike", (199, 1499), "")]),
      ("Cycling", [("Bikes", "Road Bike", (399, 2999), "color"), ("Helmets", "Bike Helmet", (29, 229), "colorsize")])]),
    ("Grocery & Gourmet Food",
     ["Farmhouse", "Golden Valley", "Bramble", "Sea & Salt", "Mountain Roast", "Little Orchard"],
     ["Organic", "Roasted", "Sea Salt", "Gluten-Free", "Dark", "Spiced", "Honey", "Single-Origin", "Family Size"],
     [("Snacks", [("Chips & Crisps", "Kettle Chips", (2, 12), ""), ("Cookies", "Shortbread Cookies", (3, 18), ""),
                  ("Nuts & Seeds", "Mixed Nuts", (5, 29), "")]),
      ("Beverages", [("Coffee", "Whole Bean Coffee", (8, 39), ""), ("Tea", "Green Tea", (4, 25), ""),
                     ("Juices", "Cold-Pressed Juice", (3, 15), "")]),
      ("Pantry Staples", [("Pasta & Rice", "Basmati Rice", (3, 22), ""), ("Oils & Vinegars", "Olive Oil", (6, 45), ""),
                          ("Spices", "Spice Blend", (3, 19), "")])]),
]

COLORS = ["Black", "White", "Gray", "Navy", "Red", "Green", "Blue", "Beige", "Pink", "Silver", "Brown", "Purple"]
SIZES = ["XS", "S", "M", "L", "XL", "XXL"]
SHOE_SIZES = ["6", "7", "8", "9", "10", "11", "12"]
MODEL_SUFFIXES = ["", "", "", "2", "3", "X", "Plus", "Lite", "S", "One", "II", "Air", "Mini", "XL"]

FEATURES = [
    "is built to last with carefully selected materials", "comes with a two-year limited warranty",
    "is easy to clean and maintain", "ships in recyclable packaging", "has been tested for everyday use",
    "offers excellent value for the price", "fits neatly into small spaces", "is designed for comfort",
    "is lightweight enough to take anywhere", "pairs well with the rest of the collection",
    "was rated a best buy by our customers", "features a refined, minimal design",
    "delivers consistent performance", "is a popular gift choice", "is available in several finishes",
]
OPENERS = ["Meet the", "Introducing the", "Upgrade to the", "Discover the", "Say hello to the", "Get more done with the"]

FIRST_NAMES = [
    "Olivia", "Liam", "Ava", "Noah", "Sophia", "Mason", "Isabella", "Lucas", "Mia", "Ethan", "Amelia", "James",
    "Harper", "Benjamin", "Evelyn", "Henry", "Abigail", "Alexander", "Charlotte", "Daniel", "Grace", "Samuel",
    "Chloe", "Julian", "Lily", "David", "Zoe", "Matthew", "Nora", "Adam", "Priya", "Kenji", "Fatima", "Diego",
    "Aisha", "Mateo", "Hannah", "Omar", "Sara", "Victor", "Jennifer", "Michael", "Katie", "Brian", "Laura",
]
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Thompson",
    "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott",
    "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Patel", "Kim", "Chen", "Khan",
]
STREETS = ["Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Pine St", "Elm St", "Washington Blvd", "Lake Rd",
           "Hillcrest Ave", "Sunset Blvd", "Park Ave", "River Rd", "Broadway", "Market St", "2nd Ave"]
CITIES = [("Pittsburgh", "Pennsylvania", "152"), ("Seattle", "Washington", "981"), ("Austin", "Texas", "787"),
          ("Denver", "Colorado", "802"), ("Boston", "Massachusetts", "021"), ("Chicago", "Illinois", "606"),
          ("San Diego", "California", "921"), ("Portland", "Oregon", "972"), ("Miami", "Florida", "331"),
          ("Atlanta", "Georgia", "303"), ("Phoenix", "Arizona", "850"), ("New York", "New York", "100")]

REVIEW_TITLES = {
    5: ["Absolutely love it", "Exceeded my expectations", "Five stars", "Perfect!", "Best purchase this year"],
    4: ["Very good", "Great value", "Solid product", "Happy with it", "Would buy again"],
    3: ["It's okay", "Average", "Does the job", "Mixed feelings", "Decent for the price"],
    2: ["Disappointed", "Not as described", "Could be better", "Meh"],
    1: ["Terrible", "Broke after a week", "Do not buy", "Waste of money"],
}
REVIEW_BODIES = {
    5: ["Works exactly as advertised and the quality is outstanding.", "I use it every day and it still looks new.",
        "Fast shipping and the product is even better in person.", "My whole family loves this one."],
    4: ["Good quality overall, just a little pricier than I hoped.", "Does what it should. Minor quirks but happy.",
        "Nice build and arrived quickly. Instructions could be clearer."],
    3: ["It is fine, nothing special.", "Some things I like, some I don't. Returned the first one.",
        "Okay for occasional use, I would not rely on it daily."],
    2: ["The size was off and the material feels cheap.", "Stopped working properly after a month."],
    1: ["Arrived damaged and customer service was slow.", "Nothing like the pictures. Returning it."],
}
